// Medians with min and max per workload, host count and tool, the ratios, and RESULTS.md.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Record_ } from './suite.ts';
import type { Tool } from './tools.ts';
import { REPO } from './tools.ts';

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
    });
  }
  return rows;
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

export function machine(): string[] {
  const tsx = JSON.parse(readFileSync(`${REPO}/node_modules/tsx/package.json`, 'utf8')).version;
  return [
    `- CPU: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB; kernel ${version(['uname', '-r'])}`,
    `- Node ${process.version}, tsx ${tsx}; ${version(['ansible-playbook', '--version'], /ansible-playbook \[core [^\]]+\]/)}, ${version(['python3', '--version'])} on the controller`,
    `- load average when the report was written: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min)`,
    `- ${version(['sh', '-c', 'ssh -V 2>&1'], /OpenSSH[^,\s]*/)}; hosts: Debian 12 lab containers (systemd-nspawn) on this machine`,
  ];
}

export function ratio(a?: Row, b?: Row): string {
  return a && b ? `${f(a.wall.median / b.wall.median)}×` : '–';
}

export function tables(rows: Row[]): string[] {
  const out: string[] = [];
  const find = (w: string, n: number, t: Tool) => rows.find((r) => r.workload === w && r.n === n && r.tool === t);
  out.push('| workload | N | tool | runs | wall s, median (min–max) | controller CPU s (user+sys) | peak RSS MB, process tree (largest process) | SSH execs/host |');
  out.push('|---|---|---|---|---|---|---|---|');
  const order = ['W1 warm', 'W1 cold', 'W3 floor', 'W2 converged', 'W2 dry run'];
  const sorted = [...rows].sort((a, b) => order.indexOf(a.workload) - order.indexOf(b.workload) || a.n - b.n || a.tool.localeCompare(b.tool));
  for (const r of sorted) {
    out.push(`| ${r.workload} | ${r.n} | ${r.tool} | ${r.runs} | ${fs(r.wall)} | ${fs(r.cpu)} | ${fs(r.mem, 0)} (${f(r.memMax.median, 0)}) | ${r.roundTrips ?? '–'} |`);
  }
  out.push('');
  out.push('| workload | N | engine s | Ansible s | floor s | engine/Ansible | engine/floor | target |');
  out.push('|---|---|---|---|---|---|---|---|');
  const ns = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  for (const w of ['W1 warm', 'W1 cold', 'W2 converged', 'W2 dry run']) {
    for (const n of ns) {
      const e = find(w, n, 'engine');
      if (!e) continue;
      const a = find(w, n, 'ansible');
      const fl = w.startsWith('W1') ? find('W3 floor', n, 'floor') : undefined;
      out.push(`| ${w} | ${n} | ${f(e.wall.median)} | ${a ? f(a.wall.median) : '–'} | ${fl ? f(fl.wall.median) : '–'} | ${ratio(e, a)} | ${ratio(e, fl)} | ${target(w, n, e, a, fl)} |`);
    }
  }
  return out;
}

/** The targets, checked against the medians. */
function target(w: string, n: number, e: Row, a?: Row, fl?: Row): string {
  const ef = fl ? e.wall.median / fl.wall.median : undefined;
  const ea = a ? a.wall.median / e.wall.median : undefined;
  const verdict = (ok: boolean, what: string) => `${ok ? 'met' : 'missed'}: ${what}`;
  if (w.startsWith('W2')) return ea === undefined ? '≥5× faster than Ansible (no Ansible figure)' : verdict(ea >= 5, '≥5× faster than Ansible');
  if (ef === undefined) return '–';
  if (n === 1) return verdict(ef <= 3, '≤3× floor');
  if (n >= 25 && w === 'W1 warm') return verdict(ef <= 1.25, '≤1.25× floor');
  if (n >= 25 && w === 'W1 cold') return verdict(ef <= 2, '≤2× floor');
  return '–';
}
