// engine/cli.mjs runs the engine from an esbuild bundle and loads .ts inventories and playbooks
// with esbuild against the running engine's own modules. These tests run the real entry points
// (no lab needed): the bundle's freshness, user files' location and secrets, errors, and the
// `npx tsx engine` launcher handing over with the same output and exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');
const CACHE = join(REPO, 'node_modules', '.cache', 'shipshape');
const BUNDLE = join(CACHE, 'engine.mjs');
const FIXTURES = join(REPO, 'test', 'fixtures', 'bundle');

const cli = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'engine', 'cli.mjs'), ...args], { cwd: REPO, encoding: 'utf8' });
const viaTsx = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'engine', 'index.ts'), ...args], { cwd: REPO, encoding: 'utf8' });

test('the bundle is built once and rebuilt only when a source file changes', () => {
  assert.equal(cli('modules').status, 0);
  const built = statSync(BUNDLE).mtimeMs;
  assert.equal(cli('modules').status, 0);
  assert.equal(statSync(BUNDLE).mtimeMs, built, 'an unchanged tree starts from the same bundle');
  // Same content, new mtime: what an edit or a checkout does to a file.
  const source = join(REPO, 'engine', 'errors.ts');
  const now = new Date();
  utimesSync(source, now, now);
  const r = cli('modules');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(statSync(BUNDLE).mtimeMs > built, 'engine/errors.ts changed: the bundle was rebuilt');
});

test("the bundle's source map link names the map beside it, and no build folder is left", () => {
  const source = join(REPO, 'engine', 'errors.ts');
  const now = new Date();
  utimesSync(source, now, now);
  assert.equal(cli('modules').status, 0);
  const link = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(BUNDLE, 'utf8'))?.[1];
  assert.ok(link, 'the bundle ends with its sourceMappingURL');
  assert.ok(existsSync(join(CACHE, link)), `${link} exists beside the bundle`);
  assert.deepEqual(readdirSync(CACHE).filter((n) => n.includes('build') || n.endsWith('.tmp')), [], 'no build folder or temp file left');
});

test('a .ts inventory sees its own folder through import.meta, and its secret is masked by the engine', () => {
  const r = cli('inventory', '-i', join(FIXTURES, 'located.ts'), '--list');
  assert.equal(r.status, 0, r.stderr);
  const listed = JSON.parse(r.stdout);
  assert.equal(listed.hosts.web1.connection.address, '10.77.0.250', 'read from address.txt beside the inventory');
  assert.equal(listed.hosts.web1.vars.apiToken, '***');
  assert.ok(!r.stdout.includes('bundle-fixture-token'), 'the secret never reaches the output');
});

/** An inventory with a syntax error on line 2 (written at test time: tsc would refuse it in the tree). */
function brokenInventory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-bundle-'));
  const file = join(dir, 'broken.ts');
  writeFileSync(file, `// broken on purpose\nexport default { hosts: { web1: { address: '10.77.0.251' } } ;\n`);
  return file;
}

test('a syntax error names the file, line and column, exit status 5', () => {
  const file = brokenInventory();
  const r = cli('inventory', '-i', file, '--list');
  rmSync(dirname(file), { recursive: true });
  assert.equal(r.status, 5);
  assert.match(r.stderr, /broken\.ts:2:\d+: Expected/);
});

test('an edited user file is bundled again; the unchanged one comes from the cache', () => {
  const file = join(FIXTURES, `edited-${process.pid}.ts`);
  const write = (address: string) =>
    writeFileSync(file, `import { defineInventory } from '../../../engine/inventory/index.ts';\nexport default defineInventory({ hosts: { web1: { address: '${address}' } } });\n`);
  const cached = () => readdirSync(join(CACHE, 'user')).filter((f) => f.startsWith(`edited_${process.pid}_ts-`) && f.endsWith('.mjs')).sort();
  try {
    write('10.77.0.201');
    assert.equal(JSON.parse(cli('inventory', '-i', file, '--list').stdout).hosts.web1.connection.address, '10.77.0.201');
    const first = cached();
    assert.equal(first.length, 1);
    assert.equal(JSON.parse(cli('inventory', '-i', file, '--list').stdout).hosts.web1.connection.address, '10.77.0.201');
    assert.deepEqual(cached(), first, 'unchanged: no new bundle');
    write('10.77.0.202');
    assert.equal(JSON.parse(cli('inventory', '-i', file, '--list').stdout).hosts.web1.connection.address, '10.77.0.202');
    const second = cached();
    assert.equal(second.length, 1, 'edited: bundled again, the old bundle removed');
    assert.notDeepEqual(second, first);
  } finally {
    rmSync(file, { force: true });
    for (const f of readdirSync(join(CACHE, 'user'))) if (f.startsWith(`edited_${process.pid}_ts-`)) rmSync(join(CACHE, 'user', f));
  }
});

test('`npx tsx engine` (engine/index.ts under tsx) hands over: same output, same exit status', () => {
  const args = ['inventory', '-i', join(FIXTURES, 'located.ts'), '--list'];
  const direct = cli(...args);
  const launched = viaTsx(...args);
  assert.equal(launched.status, 0, launched.stderr);
  assert.equal(launched.stdout, direct.stdout);
  const file = brokenInventory();
  const bad = viaTsx('inventory', '-i', file, '--list');
  rmSync(dirname(file), { recursive: true });
  assert.equal(bad.status, 5);
  assert.match(bad.stderr, /broken\.ts:2:/);
  assert.equal(viaTsx('no-such-command').status, 5, 'a command-line mistake is bad input, exit 5, through the launcher too');
});
