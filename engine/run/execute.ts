// The one place where planned steps take effect on a host. Check mode never reaches this file.
import { ExecTimeoutError } from '../connection/errors.ts';
import type { ExecResult } from '../connection/types.ts';
import type { LocalIO, PathStep, RunStep, Step, WriteStep } from '../plan/types.ts';
import { stampChanged } from '../plan/stamp-change.ts';
import { describeStep, renderPathStep, renderRun, renderWrite, script, stdinText, type Rendered } from '../plan/render.ts';
import { frameBytes, frameStream, newToken, type FramedStream, type SentContent } from '../remote/frame.ts';
import { sourceInfo, sourceStream, withoutSpecialBits } from './host-stream.ts';
import type { HostLink } from './host-link.ts';
import { StepFailed } from './step-failed.ts';
import { runFetch } from './steps/fetch.ts';
import { runReboot } from './steps/reboot.ts';
import { runWait } from './steps/wait.ts';

export { StepFailed };

export interface ExecuteResult {
  /** The last command's output, for `register`. */
  last?: { rc: number | null; stdout: string; stderr: string };
  /** Whether any step said it changed something (see Plan: actions of a plan without changes). */
  reportedChange: boolean;
  /** Files that decide who may log in, as they were before this plan wrote them (see confirm-login.ts). */
  previous: PreviousFile[];
}

/** A file a write replaced, and where its previous content is kept ('absent': there was none). */
export interface PreviousFile {
  path: string;
  previous: string;
}

/**
 * Files that decide whether the engine gets in again: sshd's configuration and its PAM stack. A write
 * to one keeps the previous file, so that a restart of sshd that locks the engine out can be undone.
 */
export function decidesLogin(path: string): boolean {
  return path.startsWith('/etc/ssh/') || path === '/etc/pam.d/sshd' || path === '/etc/pam.d/common-auth' || path === '/etc/pam.d/common-account';
}

/** Printed on stderr by a batch when one of its commands fails: which one. */
const FAILED_AT = '__shipshape_failed_step';

type ShellStep = RunStep | PathStep;

export interface ExecuteOptions {
  /** Deadline of each exec: the remote command is then killed and the step fails, saying so. */
  timeoutMs?: number;
}

/** One exec of a step, its deadline applied; a timeout becomes the step's failure, naming it. */
async function execStep(link: HostLink, command: string, opts: { stdin?: Buffer | NodeJS.ReadableStream; become: boolean; label: string; timeoutMs?: number }): Promise<ExecResult> {
  try {
    return await link.exec(command, opts);
  } catch (err) {
    if (err instanceof ExecTimeoutError) throw new StepFailed(`${opts.label} timed out after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s and was killed`);
    throw err;
  }
}

export async function executeSteps(steps: readonly Step[], link: HostLink, become: boolean, localIO: LocalIO, opts: ExecuteOptions = {}): Promise<ExecuteResult> {
  const timeoutMs = opts.timeoutMs;
  let last: ExecuteResult['last'];
  let reportedChange = false;
  const previous: PreviousFile[] = [];
  for (const group of inBatches(steps)) {
    if (Array.isArray(group)) {
      last = await runBatch(group, link, become, timeoutMs);
      continue;
    }
    const step = group;
    if (step.kind === 'write') {
      const keep = step.keepPrevious || decidesLogin(step.path);
      const result = await runWrite(keep ? { ...step, keepPrevious: true } : step, link, become, localIO, timeoutMs);
      last = output(result);
      const kept = /^previous=(.+)$/m.exec(last.stdout)?.[1];
      if (kept !== undefined) previous.push({ path: step.path, previous: kept });
      continue;
    }
    if (step.kind === 'wait') {
      await runWait(step, link, become);
      continue;
    }
    if (step.kind === 'fetch') {
      await runFetch(step, link, become, timeoutMs);
      continue;
    }
    if (step.kind === 'reboot') {
      await runReboot(step, link, become);
      reportedChange = true;
      continue;
    }
    if (step.kind !== 'run') {
      last = await runBatch([step], link, become, timeoutMs);
      continue;
    }
    const rendered = renderRun(step, { deadlineS: deadlineS(timeoutMs) });
    const input = stdinText(step.stdin);
    const stdin = input === undefined ? undefined : frameBytes(Buffer.from(input), { token: newToken() });
    const result = await execStep(link, script([rendered]), { stdin, become, label: describeStep(step), timeoutMs });
    const okCodes = step.okCodes ?? [0];
    last = output(result);
    if (result.code === null || !okCodes.includes(result.code)) throw failed(describeStep(step), result, result.stderr.toString());
    if (step.reportsChange && stampChanged(step.reportsChange, last.stdout)) reportedChange = true;
  }
  return { last, reportedChange, previous };
}

/**
 * A write: its content framed on stdin (see remote/frame.ts), from the plan, a download made by
 * the controller, or another host. A stream whose content turns out wrong (a download that does
 * not match its pinned sha256, a source file that changed during the transfer) ends with an
 * abort instead of a trailer, and the host keeps nothing.
 */
/** The host gives up waiting for content a little after the controller's own deadline. */
function deadlineS(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : timeoutMs / 1000 + 5;
}

async function runWrite(step: WriteStep, link: HostLink, become: boolean, io: LocalIO, timeoutMs: number | undefined): Promise<ExecResult> {
  const header = { token: newToken(), ...(step.replaces ? { was: step.replaces } : {}) };
  const label = describeStep(step);
  const pinned = step.sha256?.toLowerCase();
  let framed: FramedStream | undefined;
  let stdin: Buffer | NodeJS.ReadableStream;
  let write = step;
  const source = step.source;
  if (source === undefined) {
    stdin = frameBytes(Buffer.from(stdinText(step.content)!), header);
  } else if (source.kind === 'command') {
    stdin = Buffer.from(`${header.token} ${header.was ?? '-'}\n`);
  } else if (source.kind === 'url') {
    const res = await fetch(source.url, { signal: AbortSignal.timeout(Math.min(source.timeoutMs, timeoutMs ?? Infinity)), redirect: 'follow' }).catch((err: Error) => {
      throw new StepFailed(`GET ${source.url}: ${err.message}`);
    });
    if (!res.ok || res.body === null) throw new StepFailed(`GET ${source.url}: HTTP ${res.status} ${res.statusText}`);
    const body = res.body as unknown as AsyncIterable<Buffer>;
    framed = frameStream(body, header, (sent) =>
      pinned !== undefined && sent.sha256 !== pinned ? new StepFailed(`sha256 mismatch for ${source.url}: expected ${pinned}, downloaded ${sent.sha256} (${sent.size} bytes); ${step.path} is left as it was`) : undefined,
    );
    stdin = framed.stream;
  } else {
    const onSource = (command: string, o?: { logOutput?: boolean }) => io.execOn(source.host, command, { ...o, ...(timeoutMs ? { timeoutMs } : {}) });
    const info = await sourceInfo(onSource, source.path, source.host);
    const from = sourceStream(onSource, source.path, info.size, source.host);
    framed = frameStream(from.stream, header, (sent) => {
      const read = from.result();
      if (read.error) return new StepFailed(`reading ${source.host}:${source.path} failed: ${read.error.message}`);
      if (sent.sha256 !== info.sha256 || sent.size !== info.size) {
        return new StepFailed(`${source.path} changed on ${source.host} during the transfer (sha256 ${sent.sha256}, ${sent.size} bytes; expected ${info.sha256}, ${info.size} bytes)`);
      }
      if (pinned !== undefined && sent.sha256 !== pinned) return new StepFailed(`${source.host}:${source.path} has sha256 ${sent.sha256}, expected ${pinned}`);
      return undefined;
    });
    stdin = framed.stream;
    if (write.mode === undefined) write = { ...write, mode: withoutSpecialBits(info.mode) };
  }
  // The outcome is known before the host reads the trailer; a host that stopped early (its folder
  // missing) never drains the stream, which is then dropped (a download is cancelled).
  let sent: SentContent | { aborted: Error } | undefined;
  void framed?.done.then((r) => (sent = r));
  const result = await execStep(link, script([renderWrite(write, { deadlineS: deadlineS(timeoutMs) })]), { stdin, become, label, timeoutMs }).finally(() => framed?.stream.destroy());
  if (sent && 'aborted' in sent) throw sent.aborted;
  if (result.code !== 0) throw failed(label, result, result.stderr.toString());
  return result;
}

/**
 * Plain commands and path steps back to back (no stdin, no exit codes of their own, nothing read
 * from their output, no folder) go to the host as one exec that stops at the first failure: a
 * file's mkdir, chown and chmod cost one round trip and one sudo instead of three.
 */
function inBatches(steps: readonly Step[]): Array<Step | ShellStep[]> {
  const out: Array<Step | ShellStep[]> = [];
  let batch: ShellStep[] = [];
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

function isPlain(step: Step): step is ShellStep {
  if (step.kind === 'attrs' || step.kind === 'mkdir' || step.kind === 'remove' || step.kind === 'symlink') return true;
  return step.kind === 'run' && step.shell === undefined && step.stdin === undefined && step.okCodes === undefined && step.reportsChange === undefined && step.cwd === undefined;
}

function renderShell(step: ShellStep): Rendered {
  return step.kind === 'run' ? renderRun(step) : renderPathStep(step);
}

async function runBatch(batch: ShellStep[], link: HostLink, become: boolean, timeoutMs: number | undefined): Promise<ExecuteResult['last']> {
  const parts = batch.map((step, i) => {
    const r = renderShell(step);
    return { ...r, body: `${r.body} || { s=$?; printf '\\n%s:%d\\n' '${FAILED_AT}' ${i} >&2; exit $s; }` };
  });
  // The log shows what the steps do, not the shell around them.
  const result = await execStep(link, script(parts), { become, label: batch.map(describeStep).join('; '), timeoutMs });
  if (result.code === 0) return output(result);
  const stderr = result.stderr.toString();
  const at = new RegExp(`\\n?${FAILED_AT}:(\\d+)\\n?`).exec(stderr);
  if (!at) throw failed(batch.map(describeStep).join('; '), result, stderr);
  throw failed(describeStep(batch[Number(at[1])]!), result, stderr.replace(at[0], ''));
}

function output(result: ExecResult): NonNullable<ExecuteResult['last']> {
  return { rc: result.code, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function failed(what: string, result: ExecResult, stderr: string): StepFailed {
  const detail = (stderr.trim() || result.stdout.toString().trim()).split('\n').slice(-5).join('\n');
  return new StepFailed(`${what} exited ${result.code ?? result.signal}${detail ? `: ${detail}` : ''}`, result);
}
