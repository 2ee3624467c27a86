// The atomic write is shell text: run it here with /bin/sh in a temp folder and check the result,
// the mode, that validation failure leaves the old file alone, and that no temp file is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderWrite, renderRun } from '../../engine/plan/render.ts';
import { secret } from '../../engine/secret.ts';

function runRendered(r: { command: string; stdin?: unknown }) {
  const stdin = typeof r.stdin === 'object' && r.stdin && 'reveal' in r.stdin ? (r.stdin as { reveal(): string }).reveal() : (r.stdin as string | undefined);
  return spawnSync('/bin/sh', ['-c', r.command], { input: stdin ?? '' });
}

test('writes content with the wanted mode and leaves no temp file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-write-'));
  const path = join(dir, "it's a file");
  const res = runRendered(renderWrite({ kind: 'write', path, content: 'hello\n', mode: '0640' }));
  assert.equal(res.status, 0, res.stderr.toString());
  assert.equal(readFileSync(path, 'utf8'), 'hello\n');
  assert.equal((statSync(path).mode & 0o777).toString(8), '640');
  assert.deepEqual(readdirSync(dir), ["it's a file"]);
});

test('a failed validation keeps the old file and removes the temp file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-write-'));
  const path = join(dir, 'conf');
  writeFileSync(path, 'old\n');
  const res = runRendered(renderWrite({ kind: 'write', path, content: 'new\n', validate: 'grep -q good %s' }));
  assert.notEqual(res.status, 0);
  assert.match(res.stderr.toString(), /validation failed/);
  assert.equal(readFileSync(path, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(dir), ['conf']);
});

test('an existing file keeps its mode when none is given; backup keeps the old content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-write-'));
  const path = join(dir, 'conf');
  writeFileSync(path, 'old\n', { mode: 0o600 });
  const res = runRendered(renderWrite({ kind: 'write', path, content: 'new\n', backup: true }));
  assert.equal(res.status, 0, res.stderr.toString());
  assert.equal((statSync(path).mode & 0o777).toString(8), '600');
  const backups = readdirSync(dir).filter((f) => f.endsWith('~'));
  assert.equal(backups.length, 1);
  assert.equal(readFileSync(join(dir, backups[0]), 'utf8'), 'old\n');
});

test('secret content travels on stdin, never in the command text', () => {
  const r = renderWrite({ kind: 'write', path: '/tmp/x', content: secret('s3cr3t-value') });
  assert.ok(!r.command.includes('s3cr3t-value'));
  const run = renderRun({ kind: 'run', argv: ['cat'], stdin: secret('s3cr3t-value'), env: { A: "b c" }, cwd: '/tmp' });
  assert.ok(!run.command.includes('s3cr3t-value'));
  assert.equal(run.command, "cd /tmp || exit 1\nA='b c' cat");
});
