// The standard proof for a module or playbook on lab hosts: a dry run first, then the real run,
// then the real run again, then a dry run. The dry run must list exactly the (host, task) pairs the
// real run changes; the second run and the last dry run must change nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertDryMatchesReal, engine, pairs, recap, type CliResult } from './engine-cli.ts';
import { labPaths } from '../lab/index.ts';

export interface CycleResult {
  dry: CliResult;
  real: CliResult;
  again: CliResult;
  changed: string[];
}

export async function applyCycle(playbook: string, opts: { limit: string; extra?: string[]; env?: Record<string, string> }): Promise<CycleResult> {
  const args = (more: string[]) => ['run', playbook, '-i', labPaths.inventory, '--limit', opts.limit, '--json', ...(opts.extra ?? []), ...more];
  const dry = await engine(args(['--check']), { env: opts.env });
  assert.equal(dry.code, 0, `dry run failed:\n${dry.stdout}\n${dry.stderr}`);
  const real = await engine(args([]), { env: opts.env });
  assert.equal(real.code, 0, `real run failed:\n${real.stdout}\n${real.stderr}`);
  assertDryMatchesReal(dry, real, 'the dry run predicted exactly what the real run changed (or said it could not know)');
  const again = await engine(args([]), { env: opts.env });
  assert.equal(again.code, 0, `second run failed:\n${again.stdout}\n${again.stderr}`);
  assert.deepEqual(pairs(again, 'changed'), [], 'the second run changes nothing');
  const after = await engine(['check', playbook, '-i', labPaths.inventory, '--limit', opts.limit, ...(opts.extra ?? [])], { env: opts.env });
  assert.equal(after.code, 0, `engine check after the run reports pending changes:\n${after.stdout}\n${after.stderr}`);
  return { dry, real, again, changed: pairs(real, 'changed') };
}

/** A task's result as the exact cycle compares it between the dry run and the real run. */
export interface TaskOutcome {
  task: string;
  status: string;
  changes: unknown[];
  /** Only for failures: the dry run must fail with the real run's message. */
  msg?: string;
}

export function outcomes(result: CliResult): TaskOutcome[] {
  return result.events
    .filter((e) => e.type === 'task.result')
    .map((e) => ({ task: `${e.handler ? 'handler ' : ''}${e.task}`, status: e.status, changes: e.changes ?? [], ...(e.status === 'failed' ? { msg: e.msg } : {}) }));
}

/** The commands a run sent, by their labels, from its --log file. */
export function loggedCommands(logPath: string): string[] {
  return readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l).event)
    .filter((e) => e?.type === 'command')
    .map((e) => String(e.command));
}

/** Commands a converged run may send: reading facts, and the engine's own run lock. */
const READ_ONLY = /^(gather facts: |lock \/)/;

export interface ExactCycle {
  dry: CliResult;
  real: CliResult;
  again: CliResult;
  /** Labels of the commands the second run sent (reads only, by the time this returns). */
  againCommands: string[];
}

/**
 * The stricter proof the convergence harness runs: (1) the dry run (`--check --diff`) reports, task
 * for task, the status and the changes the real run then makes, failures with the same message;
 * (2) the second real run changes nothing and sends no command but fact reads (read from --log).
 * `failing`: the play is expected to fail (a plan that cannot apply), dry run and real run alike.
 */
export async function exactCycle(playbook: string, opts: { limit: string; extra?: string[]; env?: Record<string, string>; failing?: boolean; logDir: string }): Promise<ExactCycle> {
  const args = (more: string[]) => ['run', playbook, '-i', labPaths.inventory, '--limit', opts.limit, '--json', '--diff', ...(opts.extra ?? []), ...more];
  const wantCode = (r: CliResult, what: string) => {
    if (opts.failing) assert.notEqual(r.code, 0, `${what} should fail:\n${r.stdout}`);
    else assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  };
  const dry = await engine(args(['--check']), { env: opts.env });
  wantCode(dry, 'the dry run');
  const real = await engine(args(['--log', join(opts.logDir, 'real.log')]), { env: opts.env });
  wantCode(real, 'the real run');
  // A task the dry run reports unknown (what a package's maintainer scripts do) is left out, with its reason.
  const known = outcomes(dry).map((d, i) => (d.status === 'unknown' ? { ...outcomes(real)[i]!, status: 'unknown', changes: [] } : d));
  for (const e of dry.events.filter((x) => x.type === 'task.result' && x.status === 'unknown')) assert.ok(e.msg, `${e.task}: unknown, with its reason`);
  assert.deepEqual(known, outcomes(real).map((r, i) => (outcomes(dry)[i]?.status === 'unknown' ? { ...r, status: 'unknown', changes: [] } : r)), 'the dry run reports, task for task, what the real run does (or that it cannot know)');
  const againLog = join(opts.logDir, 'again.log');
  const again = await engine(args(['--log', againLog]), { env: opts.env });
  wantCode(again, 'the second run');
  assert.deepEqual(pairs(again, 'changed'), [], 'the second run changes nothing');
  // A run refused before any host is touched (a bad template) has no recap: nothing ran, nothing changed.
  const refused = opts.failing && !again.events.some((e) => e.type === 'recap');
  if (!refused) assert.equal(recap(again).hosts[opts.limit]?.changed, 0, 'the second run counts 0 changed');
  const againCommands = loggedCommands(againLog);
  assert.deepEqual(againCommands.filter((c) => !READ_ONLY.test(c)), [], 'the second run sends no command that changes the host');
  return { dry, real, again, againCommands };
}
