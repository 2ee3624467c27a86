// A folder of stub programs and a runner of shell text against them. Every stub records how it was
// called (its path, each argument, the environment variables asked for), NUL-separated, and exits
// with STUB_RC. The stub folder shadows every program of the controller (/usr/bin, /usr/sbin...)
// and the host-only ones the modules use, and it is the whole PATH: under an environment holding
// only PATH and HOME, nothing real runs but /bin/sh and its builtins.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CANARY, FAKE_HOME } from './hostile.ts';

const STUB = `#!/bin/sh
IFS=' '
{
  printf 'CALL\\0%s\\0' "$0"
  for a in "$@"; do printf 'ARG\\0%s\\0' "$a"; done
  for k in \${STUB_ENV_KEYS-}; do
    eval "s=\\\${$k+set} v=\\\${$k-}"
    printf 'ENV\\0%s\\0%s\\0%s\\0' "$k" "$s" "$v"
  done
  printf 'END\\0'
} >"\${STUB_LOG:-/dev/null}/$$"
# dirname and basename are pure string functions: they answer as coreutils would (for the last
# operand) and succeed, so that a script walking up a path (while [ ! -e "$p" ]; do p=$(dirname
# -- "$p"); done) ends. Every other stub prints nothing.
case \${0##*/} in
  dirname|basename)
    for ss_a in "$@"; do ss_d=$ss_a; done
    while :; do case \${ss_d-} in /) break;; */) ss_d=\${ss_d%/};; *) break;; esac; done
    if [ \${0##*/} = basename ]; then
      case \${ss_d-} in /) ;; *) ss_d=\${ss_d##*/};; esac
    else
      case \${ss_d-} in
        */*) ss_d=\${ss_d%/*}; while :; do case $ss_d in */) ss_d=\${ss_d%/};; *) break;; esac; done; [ -n "$ss_d" ] || ss_d=/;;
        *) ss_d=.;;
      esac
    fi
    printf '%s\n' "\${ss_d-}"
    exit 0;;
esac
exit "\${STUB_RC:-0}"
`;

/** Programs the modules and facts run on a host that a controller may not have. */
const HOST_PROGRAMS = [
  'apt-cache', 'apt-get', 'base64', 'bash', 'certbot', 'chpasswd', 'cksum', 'crontab', 'curl', 'dd', 'dpkg-query', 'getent', 'git',
  'groupadd', 'groupdel', 'groupmod', 'install', 'readlink', 'sha256sum', 'stat', 'sudo', 'systemctl', 'systemd-run', 'timeout',
  'touch', 'ufw', 'useradd', 'userdel', 'usermod', 'wget',
];

export class StubDir {
  readonly path: string;
  readonly #script: string;

  constructor(root: string) {
    this.path = join(root, 'stubs');
    mkdirSync(this.path, { recursive: true });
    this.#script = join(root, 'stub.sh');
    writeFileSync(this.#script, STUB, { mode: 0o755 });
    const names = new Set(HOST_PROGRAMS);
    for (const dir of ['/bin', '/usr/bin', '/sbin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']) {
      try {
        for (const name of readdirSync(dir)) names.add(name);
      } catch {
        // a folder this controller does not have
      }
    }
    for (const name of names) this.add(name);
  }

  /** A stub for a program name (argv[0] without a slash); returns its path. */
  add(name: string): string {
    if (name === '' || name.includes('/') || name === '.' || name === '..') throw new Error(`no stub can be named ${JSON.stringify(name)}`);
    const at = join(this.path, name);
    if (!existsSync(at)) symlinkSync(this.#script, at);
    return at;
  }

  /** A stub at an absolute path (argv[0] with a slash), which must be inside `root`. */
  addAt(path: string, root: string): string {
    if (!path.startsWith(`${root}/`)) throw new Error(`argv[0] ${JSON.stringify(path)} is outside the test folder: no stub can stand there`);
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) symlinkSync(this.#script, path);
    return path;
  }
}

export interface Call {
  path: string;
  args: Buffer[];
  env: Map<string, { set: boolean; value: Buffer }>;
}

/** One shell run: a script file run by /bin/sh, or /bin/sh with arguments, in its own folder. */
export interface Job {
  cwd: string;
  /** Shell text, written to a file and run as `/bin/sh FILE`. */
  script?: string;
  /** Or: the arguments of /bin/sh (a step's ['sh', '-c', SCRIPT, ...] without 'sh'). */
  shArgs?: string[];
  /** Environment variables the stubs record. */
  envKeys?: string[];
  /** The stubs' exit status. */
  rc?: number;
}

export interface JobResult {
  calls: Call[];
  /** The canary file appeared in the job's folder. */
  canary: boolean;
  /** The job did not finish (the batch timed out). */
  unfinished: boolean;
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the jobs in batches (one /bin/sh per batch, one more per job), `parallel` (default 4) batches at a time. */
export async function runJobs(jobs: readonly Job[], stubs: StubDir, work: string, opts: { batch?: number; parallel?: number; timeoutMs?: number } = {}): Promise<JobResult[]> {
  const size = opts.batch ?? 150;
  const results: JobResult[] = new Array(jobs.length);
  const batches: number[][] = [];
  for (let i = 0; i < jobs.length; i += size) batches.push(jobs.slice(i, i + size).map((_, k) => i + k));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const b = next++;
      await runBatch(batches[b]!, b);
    }
  };
  const runBatch = async (ids: number[], b: number) => {
    const dir = join(work, `batch-${b}`);
    mkdirSync(dir, { recursive: true });
    const done = join(dir, 'done');
    const lines: string[] = [];
    for (const id of ids) {
      const job = jobs[id]!;
      const log = join(dir, `${id}.calls`);
      mkdirSync(log);
      const env = `STUB_LOG=${sq(log)} STUB_ENV_KEYS=${sq((job.envKeys ?? []).join(' '))} STUB_RC=${job.rc ?? 0}`;
      let run: string;
      if (job.shArgs) run = `/bin/sh ${job.shArgs.map(sq).join(' ')}`;
      else {
        const file = join(dir, `${id}.sh`);
        writeFileSync(file, job.script ?? '');
        run = `/bin/sh ${sq(file)}`;
      }
      lines.push(`cd ${sq(job.cwd)} && ${env} ${run} </dev/null >/dev/null 2>&1`, `printf '%s\\n' ${id} >>${sq(done)}`);
    }
    const batchFile = join(dir, 'batch.sh');
    writeFileSync(batchFile, `${lines.join('\n')}\n`);
    writeFileSync(done, '');
    await new Promise<void>((resolve) => {
      execFile('/bin/sh', [batchFile], { cwd: dir, env: { PATH: stubs.path, HOME: FAKE_HOME }, timeout: opts.timeoutMs ?? 60_000 }, () => resolve());
    });
    const finished = new Set(readFileSync(done, 'utf8').split('\n').filter(Boolean).map(Number));
    for (const id of ids) {
      const log = join(dir, `${id}.calls`);
      const calls = readdirSync(log).flatMap((f) => parseCalls(readFileSync(join(log, f))));
      results[id] = { calls, canary: existsSync(join(jobs[id]!.cwd, CANARY)), unfinished: !finished.has(id) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.parallel ?? 4, batches.length) }, worker));
  return results;
}

/** Reads a stub log: CALL path (ARG value)* (ENV key set value)* END, NUL-separated. */
export function parseCalls(log: Buffer): Call[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < log.length; i++) {
    if (log[i] === 0) {
      parts.push(log.subarray(start, i));
      start = i + 1;
    }
  }
  const calls: Call[] = [];
  let cur: Call | undefined;
  for (let i = 0; i < parts.length; ) {
    const tag = parts[i++]!.toString();
    if (tag === 'CALL') {
      cur = { path: parts[i++]!.toString(), args: [], env: new Map() };
      calls.push(cur);
    } else if (tag === 'ARG') cur!.args.push(parts[i++]!);
    else if (tag === 'ENV') {
      const k = parts[i++]!.toString();
      const set = parts[i++]!.toString() === 'set';
      cur!.env.set(k, { set, value: parts[i++]! });
    } else if (tag === 'END') cur = undefined;
    else throw new Error(`stub log: unexpected ${JSON.stringify(tag)}`);
  }
  return calls;
}
