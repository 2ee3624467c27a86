// One measured run of each tool: the engine (its CLI, one node process), ansible-playbook (plain, or
// with Mitogen's strategy), and the floor (OpenSSH, a fresh connection to every host in parallel,
// running `true`). pyinfra has its own file (pyinfra.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labPaths } from '../../test/lab/index.ts';
import { measure, type Measured } from './measure.ts';
import { ansibleEnv, type BenchHost, type FleetFiles } from './fleet.ts';

export const REPO = join(import.meta.dirname, '..', '..');
export const BENCH = join(REPO, 'bench');

export type Tool = 'engine' | 'ansible' | 'mitogen' | 'pyinfra' | 'floor';
/** The tools the engine is compared with (the floor is not a tool but a bound). */
export type Peer = 'ansible' | 'mitogen' | 'pyinfra';

/**
 * Mitogen's ssh connections: its bootstrap (a zlib'd, base64'd first stage for `python3 -c`) is in
 * the argv of each one. A Mitogen run shows one per host; a plain Ansible run none.
 */
export const MITOGEN_SSH = /^\S*ssh .*import codecs,os,sys;_=codecs\.decode;exec\(/;

export interface ToolRun extends Measured {
  tool: Tool;
  /** SSH execs per host (mean over hosts), when measured. */
  roundTrips?: number;
  /** Per-host task tallies summed (engine and Ansible). */
  changed?: number;
  ok?: number;
  /** Mitogen runs: ssh processes seen carrying Mitogen's bootstrap (one connection per host). */
  mitogenConnections?: number;
  /** Engine dry runs with `previews`: seconds in package previews, the longest host's sum, and over all hosts. */
  previewS?: number;
  previewSumS?: number;
}

export class RunFailed extends Error {
  constructor(tool: Tool, m: Measured) {
    super(`${tool} exited ${m.code}:\n${(m.stderr || m.stdout).trim().slice(-3000)}`);
    this.name = 'RunFailed';
  }
}

/**
 * The engine as one node process: `node engine/cli.mjs` (its bundle, rebuilt before the warm-up
 * round if sources changed). `npx tsx engine` runs the same process behind npx's and tsx's
 * launchers: those are measured separately in the profile.
 */
export async function engineRun(playbook: string, files: FleetFiles, hosts: number, opts: { check?: boolean; previews?: boolean } = {}): Promise<ToolRun> {
  // A 60 s connect timeout, as the bench gives Ansible (fleet.ts): 200 handshakes at once on 2 CPUs
  // can take longer than the default 10 s, and a host given up on is not a measured run.
  const argv = [process.execPath, join(REPO, 'engine', 'cli.mjs'), 'run', playbook, '-i', files.engineInventory, '--json', '-f', String(Math.max(hosts, 1)), '--timeout', '60'];
  if (opts.check) argv.push('--check');
  // The time in package previews, from the run's own log (its command events time every exec).
  const logDir = opts.previews ? mkdtempSync(join(tmpdir(), 'shipshape-bench-log-')) : undefined;
  if (logDir) argv.push('--log', join(logDir, 'run.jsonl'));
  let m: Measured;
  let previews: { previewS: number; previewSumS: number } | undefined;
  try {
    m = await measure(argv, { cwd: REPO, timeoutMs: 30 * 60_000 });
    if (logDir && m.code === 0) previews = previewTime(readFileSync(join(logDir, 'run.jsonl'), 'utf8'));
  } finally {
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  }
  if (m.code !== 0) throw new RunFailed('engine', m);
  const events = m.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  const recap = events.find((e) => e.type === 'recap');
  if (!recap) throw new RunFailed('engine', { ...m, stderr: `no recap event\n${m.stderr}` });
  const trips = Object.values(recap.roundTrips as Record<string, number>);
  const tallies = Object.values(recap.hosts as Record<string, { ok: number; changed: number }>);
  return {
    ...m,
    tool: 'engine',
    roundTrips: trips.reduce((a, b) => a + b, 0) / trips.length,
    changed: tallies.reduce((a, t) => a + t.changed, 0),
    ok: tallies.reduce((a, t) => a + t.ok, 0),
    ...previews,
  };
}

/** The label of a package preview's exec in the engine's command events (see engine/run/gather-facts.ts, previewKey). */
const PREVIEW_COMMAND = 'gather facts: apt:preview:';

/** From an engine --log (winston JSON lines, each event under `event`): seconds of preview execs, per host. */
export function previewTime(log: string): { previewS: number; previewSumS: number } {
  const perHost = new Map<string, number>();
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = (JSON.parse(line) as { event?: { type?: string; host?: string; command?: string; ms?: number } }).event;
    if (e?.type !== 'command' || typeof e.command !== 'string' || !e.command.startsWith(PREVIEW_COMMAND)) continue;
    perHost.set(e.host ?? '', (perHost.get(e.host ?? '') ?? 0) + (e.ms ?? 0));
  }
  const ms = [...perHost.values()];
  return { previewS: Math.max(0, ...ms) / 1000, previewSumS: ms.reduce((a, b) => a + b, 0) / 1000 };
}

/**
 * ansible-playbook. With `countTrips` it runs with -vvv and counts `SSH: EXEC` lines per host (each
 * is one ssh invocation, a session on the ControlPersist master): only for runs that are not timed.
 * With `mitogen`, the same playbook and settings under Mitogen's strategy (ansible-mitogen.cfg);
 * Mitogen has no `SSH: EXEC` lines (one connection per host, RPC over it): its connections are
 * counted from the process tree instead, so a run that did not go through Mitogen is seen.
 */
export async function ansibleRun(playbook: string, files: FleetFiles, hosts: BenchHost[], opts: { check?: boolean; countTrips?: boolean; mitogen?: boolean } = {}): Promise<ToolRun> {
  const tool = opts.mitogen ? 'mitogen' : 'ansible';
  const argv = ['ansible-playbook', playbook];
  if (opts.check) argv.push('--check');
  if (opts.countTrips && !opts.mitogen) argv.push('-vvv');
  const m = await measure(argv, {
    cwd: join(BENCH, 'ansible'),
    env: ansibleEnv(files, { mitogen: opts.mitogen }),
    timeoutMs: 30 * 60_000,
    watch: opts.mitogen ? MITOGEN_SSH : undefined,
  });
  if (m.code !== 0) throw new RunFailed(tool, m);
  const recap = [...m.stdout.matchAll(/^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)/gm)];
  const run: ToolRun = {
    ...m,
    tool,
    ...(opts.mitogen ? { mitogenConnections: m.watched ?? 0 } : {}),
    ok: recap.reduce((a, r) => a + Number(r[1]) - Number(r[2]), 0),
    changed: recap.reduce((a, r) => a + Number(r[2]), 0),
  };
  if (opts.countTrips && !opts.mitogen) {
    const perHost = new Map<string, number>();
    for (const r of m.stdout.matchAll(/^<([^>]+)> SSH: EXEC /gm)) perHost.set(r[1], (perHost.get(r[1]) ?? 0) + 1);
    const counts = hosts.map((h) => perHost.get(h.address) ?? perHost.get(h.name) ?? 0);
    run.roundTrips = counts.reduce((a, b) => a + b, 0) / counts.length;
  }
  return run;
}

/** The floor: `ssh HOST true` to every host at once, a fresh connection each, strict host keys. */
export async function floorRun(hosts: BenchHost[]): Promise<ToolRun> {
  const ssh = [
    'ssh', '-F', 'none', '-i', labPaths.privateKey, '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${labPaths.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-o', 'LogLevel=ERROR',
  ].join(' ');
  const script = `pids=; for a in "$@"; do ${ssh} "deploy@$a" true & pids="$pids $!"; done; rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc`;
  const m = await measure(['/bin/sh', '-c', script, 'floor', ...hosts.map((h) => h.address)], { timeoutMs: 120_000 });
  if (m.code !== 0) throw new RunFailed('floor', m);
  return { ...m, tool: 'floor', roundTrips: 1 };
}
