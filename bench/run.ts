// `npm run bench [-- --hosts 1,10,50,100,200 --runs 3 --cold-runs 2 --warmup 1 --workloads w1-warm,w1-cold,w3,w2,w2-dry-fresh]`:
// brings the lab up with its own hosts (bench1..benchN, and build/relay1-3 for W2), runs the engine
// and Ansible side by side, prints the tables and writes the measured part of bench/RESULTS.md.
// Every record is appended to bench/results/<start>.jsonl as it is made, so an interrupted bench
// keeps what it measured: `--from bench/results/<start>.jsonl` rebuilds RESULTS.md from it (several
// files, comma separated: a tool's workload in more than one is taken from the last).
// Every write of RESULTS.md also draws the charts (bench/results/wall.svg, memory.svg) from the same
// records; `--from FILE --charts-only` draws only them.
// `--suite-lab` runs on the test suite's two bench hosts instead (no labUp; N ≤ 2), `--lab-hosts
// a,b,...` on any hosts the lab already has up (no labUp: the other hosts are left alone).
// `--peers ansible,mitogen,pyinfra` chooses the peers (default all; pyinfra when installed).
// N goes up to the lab's MAX_HOSTS less W2's 4 relay hosts (200 fits: 204 of 240 addresses).
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labStatus, labUp } from '../test/lab/index.ts';
import { ensureLab } from '../test/integration/lab-fixture.ts';
import { renderResults, runBench } from './lib/bench.ts';
import { machine } from './lib/report.ts';
import { BENCH } from './lib/tools.ts';
import { writeCharts } from './lib/chart.ts';
import { LAB_INVENTORY, WORKLOADS, type Record_, type W2Fleet, type Workload } from './lib/suite.ts';
import { labHosts } from './lib/fleet.ts';
import { ALL_PEERS } from './lib/peers.ts';
import { removeSuiteLabW2, suiteLabW2 } from './lib/suite-lab-w2.ts';
import type { Peer } from './lib/tools.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1,10,50,100,200' },
    runs: { type: 'string', default: '3' },
    'cold-runs': { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    workloads: { type: 'string', default: 'w1-warm,w1-cold,w3,w2,w2-dry-fresh' },
    'suite-lab': { type: 'boolean', default: false },
    'lab-hosts': { type: 'string' },
    peers: { type: 'string', default: ALL_PEERS.join(',') },
    out: { type: 'string', default: join(BENCH, 'RESULTS.md') },
    'no-write': { type: 'boolean', default: false },
    from: { type: 'string' },
    'charts-only': { type: 'boolean', default: false },
  },
});

function writeResults(markdown: string): void {
  const out = values.out!;
  const text = readFileSync(out, { encoding: 'utf8', flag: 'a+' });
  const begin = '<!-- measured: begin (written by bench/run.ts) -->';
  const end = '<!-- measured: end -->';
  const block = `${begin}\n${markdown}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  writeFileSync(out, i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text}\n${block}\n`);
  console.log(`written: ${out}`);
}

if (values.from) {
  // One or more saved runs (comma separated), e.g. W1 on the full lab and W2 from another session.
  const files = values.from.split(',');
  const lines = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => ({ ...JSON.parse(l), file: f })));
  // A tool's workload measured in more than one of the files is taken from the last of them only: a
  // later run of it (W2 again, or the engine and the floor again after a change) replaces the
  // earlier one's records instead of mixing with them; the other tools' stay.
  const all = lines.filter((l) => !l.meta) as (Record_ & { file: string })[];
  const cell = (r: Record_) => `${r.workload}\0${r.tool}`;
  const lastFile = new Map(all.map((r) => [cell(r), r.file]));
  const records = all.filter((r) => lastFile.get(cell(r)) === r.file) as Record_[];
  const loads = (f: string) => {
    const xs = records.filter((r) => (r as Record_ & { file: string }).file === f && r.load1 !== undefined).map((r) => r.load1!);
    return xs.length ? `; 1-min load average during it ${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}` : '';
  };
  /** What the block takes from a file: each workload with its tools. */
  const takenFrom = (f: string) => {
    const tools = new Map<string, Set<string>>();
    for (const r of records) if ((r as Record_ & { file: string }).file === f) tools.set(r.workload, (tools.get(r.workload) ?? new Set()).add(r.tool));
    return [...tools].map(([w, ts]) => `${w} (${[...ts].join(', ')})`).join(', ');
  };
  const metas = lines.filter((l) => l.meta).map((l) => `- \`${l.file.replace(`${BENCH}/`, 'bench/')}\`: ${['hosts', 'runs', 'cold-runs', 'warmup', 'workloads', 'suite-lab'].filter((k) => l.meta[k] !== undefined).map((k) => `${k} ${l.meta[k]}`).join(', ')}${loads(l.file)}; taken from it: ${takenFrom(l.file) || 'nothing'}`);
  // The machine each run was made on, as it recorded it: the machine rebuilding the block may have
  // other versions installed, or none of the peers at all.
  const machines = lines.filter((l) => l.meta).flatMap((l) => [
    `Machine of \`${l.file.replace(`${BENCH}/`, 'bench/')}\`:`,
    ...(Array.isArray(l.meta.machine) ? l.meta.machine : ['- not recorded in this file (runs before 2026-12-03 did not record it)']),
  ]);
  const { markdown, rows } = renderResults(`Assembled from saved runs:\n\n${metas.join('\n')}`, machines, records, []);
  if (!values['charts-only']) {
    console.log(markdown);
    if (!values['no-write']) writeResults(markdown);
  }
  if (!values['no-write']) console.log(`charts: ${(await writeCharts(rows, join(BENCH, 'results'))).join(', ')}`);
  process.exit(0);
}

const counts = values.hosts!.split(',').map(Number).filter((n) => n > 0);
const workloads = values.workloads!.split(',') as Workload[];
for (const w of workloads) if (!WORKLOADS.includes(w)) throw new Error(`--workloads: ${w} is not one of ${WORKLOADS.join(', ')}`);
/** W2 converged and dry (w2) and the dry run on fresh hosts (w2-dry-fresh) run on the relay fleet. */
const wantW2 = workloads.some((w) => w.startsWith('w2'));
const max = Math.max(...counts);
const peers = values.peers!.split(',').filter(Boolean) as Peer[];
for (const p of peers) if (!ALL_PEERS.includes(p)) throw new Error(`--peers: ${p} is not one of ${ALL_PEERS.join(', ')}`);
const W2_HOSTS = ['build', 'relay1', 'relay2', 'relay3'];

let hostNames: string[];
let w2: W2Fleet | undefined;
if (values['suite-lab']) {
  if (max > 2) throw new Error('--suite-lab has two bench hosts: use --hosts 1,2');
  hostNames = ['bench1', 'bench2'];
  // Bring the suite's lab up only when the two bench hosts are not there (ensureLab also insists on
  // every other suite host, which the module tests may be holding in any state).
  const status = await labStatus().catch(() => undefined);
  const up = new Set((status?.hosts ?? []).filter((h) => h.running && h.ssh).map((h) => h.name));
  if (!hostNames.every((h) => up.has(h))) await ensureLab();
  // The suite's relay hosts belong to the module tests: W2 runs on bench2 as the build machine and
  // bench1 as relay1 (with TURN), 2 hosts instead of 4.
  if (wantW2) {
    w2 = suiteLabW2();
  }
} else if (values['lab-hosts']) {
  // Hosts the lab already has, used as they are: no labUp (it would remove every host not asked for).
  hostNames = values['lab-hosts'].split(',').filter(Boolean);
  if (max > hostNames.length) throw new Error(`--lab-hosts has ${hostNames.length} hosts: N ≤ ${hostNames.length}`);
  const status = await labStatus();
  const up = new Set(status.hosts.filter((h) => h.running && h.ssh).map((h) => h.name));
  // W2 runs on the lab's own relay hosts when they are up (the suite's lab has them).
  const missing = [...hostNames, ...(wantW2 ? W2_HOSTS : [])].filter((h) => !up.has(h));
  if (missing.length) throw new Error(`--lab-hosts: not up in the lab: ${missing.join(', ')}`);
  if (wantW2) w2 = { hosts: labHosts(W2_HOSTS), labNames: W2_HOSTS, engineInventory: LAB_INVENTORY };
} else {
  const tests = execFileSync('sh', ['-c', 'ps -eo args | grep -c "^node.*--test" || true'], { encoding: 'utf8' }).trim();
  if (Number(tests) > 0) throw new Error(`${tests} test process(es) are running on the lab: the full bench takes the lab's hosts away; wait, or use --suite-lab`);
  hostNames = Array.from({ length: max }, (_, i) => `bench${i + 1}`);
  const relayHosts = wantW2 ? W2_HOSTS : [];
  console.log(`lab up: ${hostNames.length} bench hosts${relayHosts.length ? ' + build, relay1-3' : ''}`);
  // The lab's default wait for sshd (120 s) is for a dozen hosts; 200 booting on 2 CPUs take longer.
  await labUp({
    hosts: [...relayHosts, ...hostNames],
    groups: { bench: hostNames, ...(relayHosts.length ? { relays: ['relay1', 'relay2', 'relay3'] } : {}) },
    readyTimeoutMs: 120_000 + 3_000 * hostNames.length,
  });
  if (relayHosts.length) w2 = { hosts: labHosts(W2_HOSTS), labNames: W2_HOSTS, engineInventory: LAB_INVENTORY };
}


const rawDir = join(BENCH, 'results');
mkdirSync(rawDir, { recursive: true });
const raw = join(rawDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
appendFileSync(raw, `${JSON.stringify({ meta: { ...values, hostNames, machine: machine('when the run started') } })}\n`);
console.log(`records: ${raw}`);

const result = await runBench({
  hostNames,
  counts,
  runs: Number(values.runs),
  coldRuns: values['cold-runs'] ? Number(values['cold-runs']) : undefined,
  warmup: Number(values.warmup),
  workloads,
  peers,
  w2,
  onRecord: ({ stdout, stderr, ...r }) => appendFileSync(raw, `${JSON.stringify(r)}\n`),
});
removeSuiteLabW2();
console.log(`\n${result.markdown}`);
if (!values['no-write']) {
  writeResults(result.markdown);
  console.log(`charts: ${(await writeCharts(result.rows, rawDir)).join(', ')}`);
}
