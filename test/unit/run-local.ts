// Runs a planned step the way the engine sends it to a host (the same rendered shell, its stdin
// framed), with this machine's /bin/sh (dash, as on Debian), for tests of what steps do to files.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { describeStep, renderPathStep, renderRun, renderWrite, script, stdinText } from '../../engine/plan/render.ts';
import type { Step } from '../../engine/plan/types.ts';
import { frameBytes, newToken } from '../../engine/remote/frame.ts';

export interface ShellOf {
  command: string;
  stdin?: Buffer;
}

/** The text and stdin the engine would send for this step (writes from a source are not covered). */
export function shellOf(step: Step): ShellOf {
  if (step.kind === 'write') {
    const header = { token: newToken(), ...(step.replaces ? { was: step.replaces } : {}) };
    if (step.source?.kind === 'command') return { command: script([renderWrite(step)]), stdin: Buffer.from(`${header.token} ${header.was ?? '-'}\n`) };
    if (step.source !== undefined) throw new Error(`${describeStep(step)}: a write from ${step.source.kind} needs the engine (executeSteps)`);
    return { command: script([renderWrite(step)]), stdin: frameBytes(Buffer.from(stdinText(step.content)!), header) };
  }
  if (step.kind === 'run') {
    const input = stdinText(step.stdin);
    return { command: script([renderRun(step)]), ...(input === undefined ? {} : { stdin: frameBytes(Buffer.from(input), { token: newToken() }) }) };
  }
  if (step.kind === 'wait') {
    if (step.on === 'controller') throw new Error(`${describeStep(step)}: a wait from the controller has no shell`);
    return { command: step.script };
  }
  if (step.kind === 'fetch' || step.kind === 'reboot') throw new Error(`${describeStep(step)}: needs the engine (executeSteps)`);
  return { command: script([renderPathStep(step)]) };
}

/** Runs the step with /bin/sh; throws with its stderr unless it exits 0 (or `okCodes`). */
export function runLocally(step: Step, opts: { cwd?: string; allowFailure?: boolean; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<Buffer> {
  const { command, stdin } = shellOf(step);
  // setsid: its own process group, as an exec has on a host (sshd starts each session with setsid),
  // so a watchdog's TERM to its group (see ss_watch) stays inside it.
  const r = spawnSync('setsid', ['-w', '/bin/sh', '-c', command], { input: stdin ?? '', cwd: opts.cwd, env: opts.env });
  const ok = step.kind === 'run' ? (step.okCodes ?? [0]) : [0];
  if (!opts.allowFailure && (r.status === null || !ok.includes(r.status))) {
    throw new Error(`${describeStep(step)} exited ${r.status}: ${r.stderr.toString()}`);
  }
  return r;
}
