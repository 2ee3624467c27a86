// Runs one command as a measured child: wall time, controller CPU seconds of its whole process tree
// and its peak memory. The child runs in its own cpuacct cgroup (cgroup v1 on this machine), so CPU
// spent by processes that outlive or detach from it (Ansible's ControlPersist ssh masters) is counted
// too, and everything left in the cgroup is killed when the run ends (no connection survives into
// the next run). Memory: /proc/PID/status of every process in the cgroup, sampled every 50 ms (less often for a large tree); both
// the largest single process and the sum over the tree are kept (see RESULTS.md for which is used).
// With `watch`, the command lines of the tree's processes are matched too: how a run shows what it
// really ran (Mitogen's ssh connections carry its bootstrap in their argv).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const CG_ROOT = '/sys/fs/cgroup/cpuacct';

export interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  wallS: number;
  cpuUserS: number;
  cpuSysS: number;
  cpuS: number;
  /** Largest VmRSS of a single process (MB). */
  peakRssMaxMb: number;
  /** Largest sum of VmRSS over the process tree at one sample (MB); counts shared pages once per process. */
  peakRssSumMb: number;
  /** Most processes alive at one sample. */
  peakProcs: number;
  /** Processes seen whose command line matched `watch` (how a run proves what it ran, e.g. Mitogen's ssh bootstraps). */
  watched?: number;
}

export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  /** Counted into `watched`: each process whose argv (joined by spaces) matches, once per pid. */
  watch?: RegExp;
}

let seq = 0;

function readNum(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

function pidsOf(cg: string): number[] {
  try {
    return readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** VmRSS (kB) and Name (the executable's name: it changes on exec) from /proc/PID/status. */
function status(pid: number): { kb: number; name: string } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { kb: Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0), name: /^Name:\s*(.*)$/m.exec(text)?.[1] ?? '' };
  } catch {
    return { kb: 0, name: '' };
  }
}

export function cgroupsAvailable(): boolean {
  return existsSync(join(CG_ROOT, 'cgroup.procs'));
}

export async function measure(argv: string[], opts: MeasureOptions = {}): Promise<Measured> {
  const cg = join(CG_ROOT, `shipshape-bench-${process.pid}-${++seq}`);
  mkdirSync(cg);
  // The shell moves itself into the cgroup and execs the command: every descendant starts inside.
  const wrapper = ['/bin/sh', '-c', `echo $$ > ${join(cg, 'cgroup.procs')} && exec "$@"`, 'measured', ...argv];
  let peakMax = 0;
  let peakSum = 0;
  let peakProcs = 0;
  // The name each pid had when its command line was last read: read again only after an exec (a
  // fork sampled before its exec has its parent's command line).
  const seen = new Map<number, string>();
  const watched = new Set<number>();
  const sample = () => {
    const pids = pidsOf(cg);
    let sum = 0;
    for (const p of pids) {
      const { kb, name } = status(p);
      if (opts.watch && seen.get(p) !== name) {
        seen.set(p, name);
        if (opts.watch.test(cmdline(p))) watched.add(p);
      }
      sum += kb;
      if (kb > peakMax) peakMax = kb;
    }
    if (sum > peakSum) peakSum = sum;
    if (pids.length > peakProcs) peakProcs = pids.length;
  };
  const t0 = process.hrtime.bigint();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(wrapper[0], wrapper.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    // Every 50 ms, or less often for a large tree: the sampler (~20 µs per process read) runs on the
    // same 2 CPUs as the tool it measures, so it is kept under ~5 % of one CPU (at 200 hosts Ansible's
    // ~600 processes would otherwise cost it ~20 %, and cost the tool with the most processes most).
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = () => {
      const t = process.hrtime.bigint();
      sample();
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (!stopped) timer = setTimeout(tick, Math.max(50, 20 * ms));
    };
    timer = setTimeout(tick, 50);
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
    };
    const killer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (e) => {
      stop();
      clearTimeout(killer);
      reject(e);
    });
    // 'exit', not 'close': detached ControlPersist masters keep the pipes open until killed below.
    child.on('exit', (code) => {
      stop();
      clearTimeout(killer);
      setImmediate(() => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  // Leftovers (ssh ControlPersist masters) are killed; their CPU so far is counted below.
  for (let i = 0; i < 50; i++) {
    const pids = pidsOf(cg);
    if (!pids.length) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const cpuUserS = readNum(join(cg, 'cpuacct.usage_user')) / 1e9;
  const cpuSysS = readNum(join(cg, 'cpuacct.usage_sys')) / 1e9;
  try {
    rmdirSync(cg);
  } catch {}
  return {
    ...result,
    wallS,
    cpuUserS,
    cpuSysS,
    cpuS: cpuUserS + cpuSysS,
    peakRssMaxMb: peakMax / 1024,
    peakRssSumMb: peakSum / 1024,
    peakProcs,
    ...(opts.watch ? { watched: watched.size } : {}),
  };
}

/** Removes empty cgroups a killed bench left behind. */
export function cleanStaleCgroups(): void {
  for (const e of readdirSync(CG_ROOT)) {
    if (!e.startsWith('shipshape-bench-')) continue;
    try {
      rmdirSync(join(CG_ROOT, e));
    } catch {}
  }
}
