// The modules' steps run by /bin/sh in a temp folder, then the path read back with fileFact's own
// script: the predicted fact must equal what is then read (unknown owner/group/mode aside), and a
// second plan against the read fact must be converged.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TObject } from '@sinclair/typebox';
import { fileFact, fileKey, type FileFact } from '../../../engine/facts/file.ts';
import { buildGatherScript } from '../../../engine/facts/gather.ts';
import { groupFact, userFact } from '../../../engine/facts/user.ts';
import type { ModuleFn } from '../../../engine/module.ts';
import { runLocally } from '../run-local.ts';
import type { Plan } from '../../../engine/plan/types.ts';
import { copy } from '../../../modules/copy/copy.ts';
import { file } from '../../../modules/file/file.ts';
import { lineinfile } from '../../../modules/lineinfile/lineinfile.ts';
import { planWith, predicted } from './fake-facts.ts';

function sh(command: string, input?: string | Buffer): string {
  return execFileSync('/bin/sh', ['-c', command], { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

function read(path: string): FileFact {
  const gather = buildGatherScript([fileFact(path)]);
  return gather.parse(sh(gather.script)).get(fileKey(path)) as FileFact;
}

const me = sh('id -un').trim();
const myGroup = sh('id -gn').trim();
const userFacts = { [userFact(me).key]: { exists: true, name: me, uid: 0, gid: 0, home: '/', shell: '/bin/sh' }, [groupFact(myGroup).key]: { exists: true, name: myGroup, gid: 0, members: [] } };

function execute(plan: Plan): void {
  for (const step of plan.steps) runLocally(step);
}

/** Plans against the real state, executes, reads back; checks prediction == reality and convergence. */
async function roundTrip<S extends TObject>(mod: ModuleFn<S>, params: Record<string, unknown>, path: string): Promise<FileFact> {
  const plan = await planWith(mod, params, { [fileKey(path)]: read(path), ...userFacts, ...otherFacts(params, path) });
  assert.ok(plan.changes.length > 0, 'the first plan changes something');
  execute(plan);
  const actual = read(path);
  const prediction = predicted(plan, fileFact(path))!;
  for (const [k, v] of Object.entries(prediction)) {
    if (v === null && ['owner', 'group', 'mode'].includes(k)) continue; // unknown in the prediction
    if (k === 'size' && actual.type !== 'file') continue;
    assert.deepEqual(actual[k as keyof FileFact], v, `predicted ${k} matches what is read back`);
  }
  const again = await planWith(mod, params, { [fileKey(path)]: actual, ...userFacts, ...otherFacts(params, path) });
  assert.deepEqual(again.changes, [], 'converged on the second plan');
  return actual;
}

function otherFacts(params: Record<string, unknown>, path: string): Record<string, FileFact> {
  if (params.state !== 'link') return {};
  const src = String(params.src);
  const target = src.startsWith('/') ? src : join(path, '..', src);
  return { [fileKey(target)]: read(target) };
}

describe('steps on a real shell, predictions read back', () => {
  const dir = mkdtempSync(join(tmpdir(), "shell 'q' $(x) "));

  it('copy: a new file with mode, then content replaced, then mode only', async () => {
    const dest = join(dir, "a b's.conf");
    await roundTrip(copy, { dest, content: 'one\n', mode: '0640', owner: me, group: myGroup }, dest);
    const after = await roundTrip(copy, { dest, content: 'two\n' }, dest);
    assert.equal(after.mode, '0640', 'an existing file keeps its mode');
    await roundTrip(copy, { dest, content: 'two\n', mode: '0600' }, dest);
  });

  it('file: directory with mode, touch, link, absent', async () => {
    const sub = join(dir, 'd $(touch pwned)', 'e');
    await roundTrip(file, { path: sub, state: 'directory', mode: '0700' }, sub);
    const touched = join(sub, 'empty');
    await roundTrip(file, { path: touched, state: 'touch', mode: '0600' }, touched);
    const link = join(dir, 'link');
    await roundTrip(file, { path: link, state: 'link', src: 'd $(touch pwned)/e/empty' }, link);
    await roundTrip(file, { path: join(dir, 'd $(touch pwned)'), state: 'absent' }, join(dir, 'd $(touch pwned)'));
    assert.equal(sh(`ls -A ${"'" + dir.replace(/'/g, `'\\''`) + "'"}`).split('\n').filter(Boolean).sort().join(','), "a b's.conf,link");
  });

  it('lineinfile: create, replace, insert, remove', async () => {
    const path = join(dir, 'new dir', 'sshd_config');
    await roundTrip(lineinfile, { path, line: 'Port 22', create: true }, path);
    await roundTrip(lineinfile, { path, regexp: '^Port ', line: 'Port 2222' }, path);
    await roundTrip(lineinfile, { path, line: '# top', insertbefore: 'BOF' }, path);
    await roundTrip(lineinfile, { path, regexp: '^#', state: 'absent' }, path);
    assert.equal(read(path).content, 'Port 2222\n');
  });

  it('fileFact reads a binary file without content and a file over 256 KiB without content', () => {
    const bin = join(dir, 'bin');
    writeFileSync(bin, Buffer.from([0, 159, 146, 150]));
    const b = read(bin);
    assert.equal(b.content, undefined);
    assert.match(b.sha256 ?? '', /^[0-9a-f]{64}$/);
    const big = join(dir, 'big');
    writeFileSync(big, 'x'.repeat(256 * 1024 + 1));
    const g = read(big);
    assert.equal(g.content, undefined);
    assert.equal(g.size, 256 * 1024 + 1);
    const edge = join(dir, 'edge');
    writeFileSync(edge, 'y'.repeat(256 * 1024));
    assert.equal(read(edge).content?.length, 256 * 1024);
  });
});
