// Medians with min and max per workload, host count and tool, the ratios, and RESULTS.md.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Record_ } from './suite.ts';
import type { Peer, Tool } from './tools.ts';
import { REPO } from './tools.ts';
import { findPyinfra, pyinfraVersion } from './pyinfra.ts';

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

export interface Row {
  workload: string;
  n: number;
  tool: Tool;
  runs: number;
  wall: Stat;
  cpu: Stat;
  /** Peak of the summed RSS over the run's process tree (the engine: its one node process). */
  mem: Stat;
  memMax: Stat;
  memSum: Stat;
  roundTrips?: number;
  /** W2 dry run fresh: seconds in package previews (the longest host's) and their share of each run's wall time. */
  preview?: Stat;
  previewShare?: Stat;
}

export function summarize(records: Record_[]): Row[] {
  const groups = new Map<string, Record_[]>();
  for (const r of records) {
    const k = `${r.workload}\u0000${r.n}\u0000${r.tool}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const rows: Row[] = [];
  for (const all of groups.values()) {
    const counted = all.filter((r) => r.counted);
    const use = counted.length ? counted : all;
    const first = all[0];
    const memSum = stat(use.map((r) => r.peakRssSumMb));
    const memMax = stat(use.map((r) => r.peakRssMaxMb));
    // Counted runs when they have the figure (the engine's recap); else the warm-up's (Ansible's -vvv).
    const tripsOf = (rs: Record_[]) => rs.map((r) => r.roundTrips).filter((x): x is number => x !== undefined);
    const trips = tripsOf(counted).length ? tripsOf(counted) : tripsOf(all);
    rows.push({
      workload: first.workload,
      n: first.n,
      tool: first.tool,
      runs: counted.length,
      wall: stat(use.map((r) => r.wallS)),
      cpu: stat(use.map((r) => r.cpuS)),
      mem: memSum,
      memMax,
      memSum,
      roundTrips: trips.length ? stat(trips).median : undefined,
      ...previewStats(use),
    });
  }
  return rows;
}

/** The package previews' time and share of the wall time, over the runs that measured it. */
function previewStats(rs: Record_[]): Pick<Row, 'preview' | 'previewShare'> {
  const with_ = rs.filter((r) => r.previewS !== undefined);
  if (with_.length === 0) return {};
  return { preview: stat(with_.map((r) => r.previewS!)), previewShare: stat(with_.map((r) => r.previewS! / r.wallS)) };
}

const f = (x: number, d = 2) => x.toFixed(d);
const fs = (s: Stat, d = 2) => `${f(s.median, d)} (${f(s.min, d)}–${f(s.max, d)})`;

function version(argv: string[], re: RegExp = /.*/): string {
  try {
    const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return (re.exec(out)?.[0] ?? out).trim();
  } catch (e) {
    const err = e as { stderr?: string };
    return (err.stderr ? re.exec(err.stderr)?.[0] : undefined)?.trim() ?? 'unknown';
  }
}

/** The machine and tool versions, as lines of the report; `when` says when the load average was read. */
export function machine(when = 'when the report was written'): string[] {
  const pyinfra = findPyinfra();
  const tsx = JSON.parse(readFileSync(`${REPO}/node_modules/tsx/package.json`, 'utf8')).version;
  return [
    `- CPU: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB; kernel ${version(['uname', '-r'])}`,
    `- Node ${process.version}, tsx ${tsx}; ${version(['ansible-playbook', '--version'], /ansible-playbook \[core [^\]]+\]/)}, ${version(['python3', '--version'])} on the controller`,
    `- load average ${when}: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min)`,
    `- Mitogen: Debian's ansible-mitogen ${version(['dpkg-query', '-W', '-f', '${Version}', 'ansible-mitogen'])} (strategy mitogen_linear); pyinfra: ${pyinfra ? `${pyinfraVersion(pyinfra)} (${pyinfra}, installed by hand: see "Peers" above)` : 'not found'}`,
    `- ${version(['sh', '-c', 'ssh -V 2>&1'], /OpenSSH[^,\s]*/)}; hosts: Debian 12 lab containers (systemd-nspawn) on this machine`,
  ];
}

export function ratio(a?: Row, b?: Row): string {
  return a && b ? `${f(a.wall.median / b.wall.median)}×` : '–';
}

const PEERS: Peer[] = ['ansible', 'mitogen', 'pyinfra'];
export const TOOL_LABEL: Record<Tool, string> = { engine: 'engine', ansible: 'Ansible', mitogen: 'Ansible+Mitogen', pyinfra: 'pyinfra', floor: 'floor' };

export function tables(rows: Row[]): string[] {
  const out: string[] = [];
  const find = (w: string, n: number, t: Tool) => rows.find((r) => r.workload === w && r.n === n && r.tool === t);
  out.push('| workload | N | tool | runs | wall s, median (min–max) | controller CPU s (user+sys) | peak RSS MB, process tree (largest process) | SSH execs/host |');
  out.push('|---|---|---|---|---|---|---|---|');
  const order = ['W1 warm', 'W1 cold', 'W3 floor', 'W2 converged', 'W2 dry run', 'W2 dry run fresh'];
  const sorted = [...rows].sort((a, b) => order.indexOf(a.workload) - order.indexOf(b.workload) || a.n - b.n || a.tool.localeCompare(b.tool));
  for (const r of sorted) {
    out.push(`| ${r.workload} | ${r.n} | ${r.tool} | ${r.runs} | ${fs(r.wall)} | ${fs(r.cpu)} | ${fs(r.mem, 0)} (${f(r.memMax.median, 0)}) | ${r.roundTrips ?? '–'} |`);
  }
  out.push('');
  // Only the peers this run has get a column.
  const peers = PEERS.filter((p) => rows.some((r) => r.tool === p));
  out.push(`| workload | N | engine s | ${peers.map((p) => `${TOOL_LABEL[p]} s | `).join('')}floor s | engine/fastest peer | engine/floor | target |`);
  out.push(`|---|---|---|${peers.map(() => '---|').join('')}---|---|---|---|`);
  const ns = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  for (const w of ['W1 warm', 'W1 cold', 'W2 converged', 'W2 dry run', 'W2 dry run fresh']) {
    for (const n of ns) {
      const e = find(w, n, 'engine');
      if (!e) continue;
      const ps = peers.map((p) => find(w, n, p));
      const fastest = ps.filter((r): r is Row => !!r).sort((a, b) => a.wall.median - b.wall.median)[0];
      const fl = w.startsWith('W1') ? find('W3 floor', n, 'floor') : undefined;
      out.push(`| ${w} | ${n} | ${f(e.wall.median)} | ${ps.map((r) => `${r ? f(r.wall.median) : '–'} | `).join('')}${fl ? f(fl.wall.median) : '–'} | ${ratio(e, fastest)}${fastest ? ` (${TOOL_LABEL[fastest.tool]})` : ''} | ${ratio(e, fl)} | ${targets(w, n, e, { ansible: find(w, n, 'ansible'), fastest, floor: fl, peers: ps.filter((r): r is Row => !!r).map((r) => TOOL_LABEL[r.tool]) }).join('; ') || '–'} |`);
    }
  }
  const previewed = sorted.filter((r) => r.preview && r.previewShare);
  if (previewed.length) {
    out.push('');
    out.push("Package previews in the dry run on fresh hosts (engine only; from the engine's --log: the preview execs' `command` events, summed per host, the longest host's; the share is per run, of that run's wall time):");
    out.push('');
    out.push('| workload | N | runs | wall s, median (min–max) | package previews s, longest host, median (min–max) | previews\' share of wall, median (min–max) |');
    out.push('|---|---|---|---|---|---|');
    const pct = (s: Stat) => `${f(s.median * 100, 0)} % (${f(s.min * 100, 0)}–${f(s.max * 100, 0)} %)`;
    for (const r of previewed) out.push(`| ${r.workload} | ${r.n} | ${r.runs} | ${fs(r.wall)} | ${fs(r.preview!)} | ${pct(r.previewShare!)} |`);
  }
  const curve = costCurve(rows);
  if (curve.length) {
    out.push('');
    out.push('Cost per added host (least-squares slope of the medians over the N series):');
    out.push('');
    out.push('| workload | tool | N | ms per added host (wall) | ms per added host (controller CPU) | MB per added host (peak RSS, tree) |');
    out.push('|---|---|---|---|---|---|');
    for (const c of curve) out.push(`| ${c.workload} | ${c.tool} | ${c.ns.join(', ')} | ${f(c.wallMs, 1)} | ${f(c.cpuMs, 1)} | ${f(c.memMb, 2)} |`);
  }
  return out;
}

/** Slope of y over x by least squares (undefined for fewer than two distinct x). */
export function slope(points: [number, number][]): number | undefined {
  const n = points.length;
  if (new Set(points.map((p) => p[0])).size < 2) return undefined;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxy / sxx;
}

export interface CostRow {
  workload: string;
  tool: Tool;
  ns: number[];
  wallMs: number;
  cpuMs: number;
  memMb: number;
}

/** The cost curve: what each added host costs each tool, for the W1 workloads and the floor (3 host counts or more). */
export function costCurve(rows: Row[]): CostRow[] {
  const out: CostRow[] = [];
  for (const w of ['W1 warm', 'W1 cold', 'W3 floor']) {
    for (const tool of [...new Set(rows.filter((r) => r.workload === w).map((r) => r.tool))].sort()) {
      const rs = rows.filter((r) => r.workload === w && r.tool === tool).sort((a, b) => a.n - b.n);
      // Two host counts give a line through two noisy medians, not a curve: three at least.
      if (rs.length < 3) continue;
      const wall = slope(rs.map((r) => [r.n, r.wall.median]))!;
      out.push({
        workload: w,
        tool,
        ns: rs.map((r) => r.n),
        wallMs: wall * 1000,
        cpuMs: slope(rs.map((r) => [r.n, r.cpu.median]))! * 1000,
        memMb: slope(rs.map((r) => [r.n, r.mem.median]))!,
      });
    }
  }
  return out;
}

/**
 * The targets, checked against the medians: the first sessions' (N = 1 within 3× the floor; at 25
 * hosts and more W1 warm within 1.25× and cold within 2×; W2 5× faster than Ansible) and issue 15's
 * (faster than every peer at every N; at 50 hosts and more W1 warm within 1.0× the floor; at 200
 * hosts at most 60 MB + 1 MB per host).
 */
export function targets(w: string, n: number, e: Row, o: { ansible?: Row; fastest?: Row; floor?: Row; peers?: string[] }): string[] {
  const out: string[] = [];
  const verdict = (ok: boolean, what: string) => out.push(`${ok ? 'met' : 'missed'}: ${what}`);
  // Named, so a run without some peer does not read as beating it.
  if (o.fastest) verdict(e.wall.median < o.fastest.wall.median, `faster than ${o.peers?.length ? o.peers.join(', ') : 'every peer'}`);
  if (w.startsWith('W2')) {
    if (o.ansible) verdict(o.ansible.wall.median / e.wall.median >= 5, '≥5× faster than Ansible');
    return out;
  }
  const ef = o.floor ? e.wall.median / o.floor.wall.median : undefined;
  if (ef !== undefined) {
    if (n === 1) verdict(ef <= 3, '≤3× floor');
    if (n >= 50 && w === 'W1 warm') verdict(ef <= 1, '≤1.0× floor');
    else if (n >= 25 && w === 'W1 warm') verdict(ef <= 1.25, '≤1.25× floor');
    if (n >= 25 && w === 'W1 cold') verdict(ef <= 2, '≤2× floor');
  }
  if (n >= 200) verdict(e.mem.median <= 60 + n, `≤${60 + n} MB`);
  return out;
}
