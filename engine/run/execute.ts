// The one place where planned steps take effect on a host. Check mode never reaches this file.
import type { ExecResult } from '../connection/types.ts';
import type { LocalIO, Step } from '../plan/types.ts';
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

export async function executeSteps(steps: readonly Step[], link: HostLink, become: boolean, localIO: LocalIO): Promise<ExecuteResult> {
  let last: ExecuteResult['last'];
  let reportedChange = false;
  for (const step of steps) {
    if (step.kind === 'local') {
      if ((await step.run(localIO)) === true) reportedChange = true;
      continue;
    }
    const rendered = step.kind === 'run' ? renderRun(step) : renderWrite(step);
    const result = await link.exec(rendered.command, { stdin: stdinText(rendered.stdin), become });
    const okCodes = step.kind === 'run' ? (step.okCodes ?? [0]) : [0];
    last = { rc: result.code, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
    if (result.code === null || !okCodes.includes(result.code)) {
      const what = step.kind === 'run' ? (step.shell ?? step.argv.join(' ')) : `write ${step.path}`;
      const detail = (result.stderr.toString().trim() || result.stdout.toString().trim()).split('\n').slice(-5).join('\n');
      throw new StepFailed(`${what} exited ${result.code ?? result.signal}${detail ? `: ${detail}` : ''}`, result);
    }
    if (step.kind === 'run' && step.reportsChange?.({ code: result.code, stdout: last.stdout, stderr: last.stderr })) reportedChange = true;
  }
  return { last, reportedChange };
}
