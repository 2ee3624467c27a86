// executeSteps against a local POSIX shell (dash, as on Debian): plain commands back to back go as
// one exec that stops at the first failure and names it; anything else keeps an exec of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecResult } from '../../engine/connection/types.ts';
import type { LocalIO, Step } from '../../engine/plan/types.ts';
import { executeSteps, StepFailed } from '../../engine/run/execute.ts';
import { localLink } from './local-link.ts';

const noLocal = {} as LocalIO;
const run = (...argv: string[]): Step => ({ kind: 'run', argv });

test('plain commands back to back: one exec, in order; a step with its own needs runs alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-exec-'));
  const log = join(dir, 'log');
  const link = localLink();
  const execs = link.execs;
  const steps: Step[] = [
    run('sh', '-c', `echo a >> ${log}`),
    run('sh', '-c', `echo b >> ${log}`),
    { kind: 'run', argv: ['sh', '-c', `echo c >> ${log}; exit 3`], okCodes: [3] },
    run('sh', '-c', `echo d >> ${log}`),
    { kind: 'run', argv: ['sh', '-c', `cat >> ${log}`], stdin: 'e\n' },
    run('sh', '-c', `echo f >> ${log}`),
    run('sh', '-c', `echo g >> ${log}`),
    run('sh', '-c', `echo h >> ${log}`),
  ];
  const result = await executeSteps(steps, link, false, noLocal);
  assert.equal(readFileSync(log, 'utf8'), 'a\nb\nc\nd\ne\nf\ng\nh\n');
  assert.equal(execs.length, 5, 'a+b, c (okCodes), d, e (stdin), f+g+h');
  assert.equal(execs[0]!.label, `sh -c 'echo a >> ${log}'; sh -c 'echo b >> ${log}'`, 'the log shows the commands, not the bookkeeping');
  assert.equal(result.last?.rc, 0);
  rmSync(dir, { recursive: true });
});

test('a batch stops at its first failing command and the error names that command and its stderr', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-exec-'));
  const log = join(dir, 'log');
  const link = localLink();
  const execs = link.execs;
  const steps: Step[] = [run('sh', '-c', `echo a >> ${log}`), run('sh', '-c', 'echo nope >&2; exit 4'), run('sh', '-c', `echo c >> ${log}`)];
  await assert.rejects(executeSteps(steps, link, false, noLocal), (e: Error) => {
    assert.ok(e instanceof StepFailed);
    assert.equal(e.message, "sh -c 'echo nope >&2; exit 4' exited 4: nope");
    return true;
  });
  assert.equal(readFileSync(log, 'utf8'), 'a\n', 'the command after the failure did not run');
  assert.equal(execs.length, 1);
  rmSync(dir, { recursive: true });
});
