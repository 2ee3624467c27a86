// The bench as a function: options in, records and the summary out (run.ts prints and writes
// RESULTS.md; the smoke test asserts on the result).
import { cleanStaleCgroups, cgroupsAvailable } from './measure.ts';
import { ensureAnsible } from './provision.ts';
import { ALL_PEERS, availablePeers } from './peers.ts';
import type { Peer } from './tools.ts';
import { ensureWorkDir, labHosts } from './fleet.ts';
import { runSuite, type Record_, type SuiteOptions, type SuiteResult, type W2Fleet, type Workload } from './suite.ts';
import { machine, summarize, tables, type Row } from './report.ts';

export interface BenchOptions {
  /** Lab host names, in order: N hosts use the first N. */
  hostNames: string[];
  counts: number[];
  runs: number;
  coldRuns?: number;
  warmup: number;
  workloads: Workload[];
  /** Peers to compare with; default all three (pyinfra only when installed). */
  peers?: Peer[];
  w2?: W2Fleet;
  log?: (m: string) => void;
  onRecord?: SuiteOptions['onRecord'];
}

export interface BenchResult extends SuiteResult {
  started: Date;
  rows: Row[];
  markdown: string;
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const log = o.log ?? ((m: string) => console.log(m));
  if (!cgroupsAvailable()) throw new Error('the bench needs the cpuacct cgroup hierarchy at /sys/fs/cgroup/cpuacct (run as root)');
  cleanStaleCgroups();
  ensureWorkDir();
  const wanted = o.peers ?? ALL_PEERS;
  await ensureAnsible(log, { collections: o.workloads.includes('w2'), mitogen: wanted.includes('mitogen') });
  const peers = availablePeers(wanted);
  const started = new Date();
  const result = await runSuite({
    hosts: labHosts(o.hostNames),
    counts: o.counts,
    runs: o.runs,
    coldRuns: o.coldRuns,
    warmup: o.warmup,
    workloads: o.workloads,
    peers,
    w2: o.w2,
    log,
    onRecord: o.onRecord,
  });
  const head = `Run ${started.toISOString()} → ${new Date().toISOString()}: N = ${o.counts.join(', ')}; ${o.warmup} warm-up + ${o.runs} counted run(s) per tool (cold: ${o.coldRuns ?? o.runs}), the engine and ${peers.peers.join(', ') || 'no peer'} alternating.`;
  const { rows, markdown } = renderResults(head, machine(), result.records, result.notes);
  return { ...result, started, rows, markdown };
}

/** The measured part of RESULTS.md from records (also used to rebuild it from a saved .jsonl). */
export function renderResults(head: string, machineLines: string[], records: Record_[], notes: string[]): { rows: Row[]; markdown: string } {
  const rows = summarize(records);
  const markdown = [head, '', ...machineLines, '', ...tables(rows), '', ...notes.map((n) => `- ${n}`)].join('\n');
  return { rows, markdown };
}
