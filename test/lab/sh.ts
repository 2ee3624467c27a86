// Running system tools. The lab drives ip, mount, ssh-keygen, mmdebstrap... as child processes;
// one helper keeps their failures uniform: the command line, the exit code and stderr in one error.
import { spawn, type SpawnOptions } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} exited ${code}: ${stderr.trim().slice(-2000) || stdout.trim().slice(-2000)}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Do not throw on a non-zero exit; the caller reads `code`. */
  allowFail?: boolean;
  /** Kill the command after this many milliseconds (it then counts as failed). */
  timeoutMs?: number;
  /** Stream the command's output to ours (long apt/mmdebstrap steps). */
  inherit?: boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.inherit ? 'inherit' : 'pipe', opts.inherit ? 'inherit' : 'pipe'],
    };
    const child = spawn(argv[0], argv.slice(1), spawnOpts);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !opts.allowFail) reject(new CommandError(argv, code, stdout, stderr));
      else resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** True when `name` is on PATH (the lab runs as root, so /usr/sbin is searched too). */
export async function have(name: string): Promise<boolean> {
  const r = await run(['sh', '-c', `command -v "$1"`, 'sh', name], { allowFail: true });
  return r.code === 0;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}
