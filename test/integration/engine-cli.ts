// Runs the engine's CLI as a user would (a child process) and reads its --json events back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Parsed JSON Lines, when --json was given. */
  events: Array<Record<string, any>>;
}

export function engine(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'engine', 'cli.mjs'), ...args], {
      cwd: REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', reject);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      const events = args.includes('--json')
        ? stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
        : [];
      resolve({ code, stdout, stderr: Buffer.concat(err).toString(), events });
    });
  });
}

/** "host task" pairs whose status is the given one, sorted, from task.result events. */
export function pairs(result: CliResult, status: string): string[] {
  return result.events
    .filter((e) => e.type === 'task.result' && e.status === status)
    .map((e) => `${e.host} ${e.handler ? 'handler ' : ''}${e.task}`)
    .sort();
}

export function recap(result: CliResult): { hosts: Record<string, Record<string, number>>; roundTrips: Record<string, number> } {
  const e = result.events.find((x) => x.type === 'recap');
  if (!e) throw new Error(`no recap in the output:\n${result.stdout}\n${result.stderr}`);
  return e as never;
}

/**
 * The dry run said what the real run then did: every task it reported changed, the real run
 * changed, and every task the real run changed, the dry run reported changed or unknown (a task
 * planned on what only a package's maintainer scripts decide), the unknown ones with their reason.
 */
export function assertDryMatchesReal(dry: CliResult, real: CliResult, message = 'the dry run predicted what the real run changed'): void {
  const unknown = pairs(dry, 'unknown');
  const realChanged = pairs(real, 'changed');
  assert.deepEqual(pairs(dry, 'changed'), realChanged.filter((p) => !unknown.includes(p)), message);
  for (const e of dry.events.filter((x) => x.type === 'task.result' && x.status === 'unknown')) assert.ok(e.msg, `${e.host} ${e.task}: unknown, with its reason`);
}
