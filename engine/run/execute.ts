// The one place where planned steps take effect on a host. Check mode never reaches this file.
import type { ExecResult } from '../connection/types.ts';
import type { LocalIO, RunStep, Step } from '../plan/types.ts';
import { renderRun, renderWrite, stdinText } from '../plan/render.ts';
import type { HostLink } from './host-link.ts';

export class StepFailed extends Error {
  override name = 'StepFailed';
  constructor(message: string, readonly result?: ExecResult) {
    super(message);
  }
}

export interface ExecuteResult {
  /** The last command's output, for `register`. */
  last?: { rc: number | null; stdout: string; stderr: string };
  /** Whether any step said it changed something (see Plan: actions of a plan without changes). */
  reportedChange: boolean;
}

/** Printed on stderr by a batch when one of its commands fails: which one. */
const FAILED_AT = '__shipshape_failed_step';

export async function executeSteps(steps: readonly Step[], link: HostLink, become: boolean, localIO: LocalIO): Promise<ExecuteResult> {
  let last: ExecuteResult['last'];
  let reportedChange = false;
  for (const group of inBatches(steps)) {
    if (Array.isArray(group)) {
      last = await runBatch(group, link, become);
      continue;
    }
    const step = group;
    if (step.kind === 'local') {
      if ((await step.run(localIO)) === true) reportedChange = true;
      continue;
    }
    const rendered = step.kind === 'run' ? renderRun(step) : renderWrite(step);
    // A write's shell text starts with `set -e` and says little: the log names the file instead.
    const label = step.kind === 'write' ? `write ${step.path}${step.validate ? ` (validated by ${step.validate})` : ''}` : undefined;
    const result = await link.exec(rendered.command, { stdin: stdinText(rendered.stdin), become, label });
    const okCodes = step.kind === 'run' ? (step.okCodes ?? [0]) : [0];
    last = output(result);
    if (result.code === null || !okCodes.includes(result.code)) {
      throw failed(step.kind === 'run' ? (step.shell ?? step.argv.join(' ')) : `write ${step.path}`, result, result.stderr.toString());
    }
    if (step.kind === 'run' && step.reportsChange?.({ code: result.code, stdout: last.stdout, stderr: last.stderr })) reportedChange = true;
  }
  return { last, reportedChange };
}

/**
 * Plain commands back to back (no stdin, no exit codes of their own, nothing read from their
 * output, no folder) go to the host as one exec that stops at the first failure: a file's touch,
 * chown and chmod cost one round trip and one sudo instead of three.
 */
function inBatches(steps: readonly Step[]): Array<Step | RunStep[]> {
  const out: Array<Step | RunStep[]> = [];
  let batch: RunStep[] = [];
  const close = () => {
    if (batch.length > 0) out.push(batch.length === 1 ? batch[0]! : batch);
    batch = [];
  };
  for (const step of steps) {
    if (isPlain(step)) batch.push(step);
    else {
      close();
      out.push(step);
    }
  }
  close();
  return out;
}

function isPlain(step: Step): step is RunStep {
  return step.kind === 'run' && step.shell === undefined && step.stdin === undefined && step.okCodes === undefined && step.reportsChange === undefined && step.cwd === undefined;
}

async function runBatch(batch: RunStep[], link: HostLink, become: boolean): Promise<ExecuteResult['last']> {
  const commands = batch.map((step) => renderRun(step).command);
  const script = commands.map((command, i) => `${command} || { s=$?; printf '\\n%s:%d\\n' '${FAILED_AT}' ${i} >&2; exit $s; }`).join('\n');
  // The log shows the commands, not the failure bookkeeping around them.
  const result = await link.exec(script, { become, label: commands.join('; ') });
  if (result.code === 0) return output(result);
  const stderr = result.stderr.toString();
  const at = new RegExp(`\\n?${FAILED_AT}:(\\d+)\\n?`).exec(stderr);
  if (!at) throw failed(batch.map((step) => step.argv.join(' ')).join('; '), result, stderr);
  throw failed(batch[Number(at[1])]!.argv.join(' '), result, stderr.replace(at[0], ''));
}

function output(result: ExecResult): NonNullable<ExecuteResult['last']> {
  return { rc: result.code, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function failed(what: string, result: ExecResult, stderr: string): StepFailed {
  const detail = (stderr.trim() || result.stdout.toString().trim()).split('\n').slice(-5).join('\n');
  return new StepFailed(`${what} exited ${result.code ?? result.signal}${detail ? `: ${detail}` : ''}`, result);
}
