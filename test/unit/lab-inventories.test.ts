// The lab's inventories load from the lab's record alone (LAB_DIR/hosts.json): the upstream one,
// which `npm run demo` uses, must load on a lab of three relays and no build host (it once loaded
// lab.ts, whose default export asks for a build host, and the demo failed on a fresh machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');

function labDir(hosts: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-inv-'));
  writeFileSync(join(dir, 'hosts.json'), JSON.stringify({ hosts: hosts.map((name, i) => ({ name, address: `10.77.0.${10 + i}` })) }));
  writeFileSync(join(dir, 'become-password'), 'lab-pw\n', { mode: 0o600 });
  const tags = join(dir, 'apt', 'simplexmq', 'releases', 'tag');
  mkdirSync(tags, { recursive: true });
  writeFileSync(join(tags, 'v6.4.5'), `SHA2-256(smp-server-ubuntu-22_04-x86-64)= ${'a'.repeat(64)}\nSHA2-256(xftp-server-ubuntu-22_04-x86-64)= ${'b'.repeat(64)}\n`);
  return dir;
}

function inventory(file: string, dir: string) {
  return spawnSync(process.execPath, [join(REPO, 'engine', 'cli.mjs'), 'inventory', '-i', file, '--list'], { cwd: REPO, env: { ...process.env, LAB_DIR: dir }, encoding: 'utf8' });
}

test('inventory/lab-upstream.ts loads on a lab of three relays and no build host', () => {
  const dir = labDir(['relay1', 'relay2', 'relay3']);
  try {
    const r = inventory('inventory/lab-upstream.ts', dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /relay3/);
    assert.doesNotMatch(r.stdout + r.stderr, /no host named build/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inventory/lab.ts names the missing lab host', () => {
  const dir = labDir(['relay1', 'relay2', 'relay3']);
  try {
    const r = inventory('inventory/lab.ts', dir);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /no host named build/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
