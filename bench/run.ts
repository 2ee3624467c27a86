// `npm run bench [-- --hosts 1,10,25,50 --runs 5 --cold-runs 5 --warmup 1 --workloads w1-warm,w1-cold,w3,w2]`:
// brings the lab up with its own hosts (bench1..benchN, and build/relay1-3 for W2), runs the engine
// and Ansible side by side, prints the tables and writes the measured part of bench/RESULTS.md.
// Every record is appended to bench/results/<start>.jsonl as it is made, so an interrupted bench
// keeps what it measured: `--from bench/results/<start>.jsonl` rebuilds RESULTS.md from it.
// `--suite-lab` runs on the test suite's two bench hosts instead (no labUp; N ≤ 2).
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labUp } from '../test/lab/index.ts';
import { ensureLab } from '../test/integration/lab-fixture.ts';
import { renderResults, runBench } from './lib/bench.ts';
import { BENCH } from './lib/tools.ts';
import type { Record_, Workload } from './lib/suite.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1,10,25,50' },
    runs: { type: 'string', default: '5' },
    'cold-runs': { type: 'string' },
    warmup: { type: 'string', default: '1' },
    workloads: { type: 'string', default: 'w1-warm,w1-cold,w3,w2' },
    'suite-lab': { type: 'boolean', default: false },
    out: { type: 'string', default: join(BENCH, 'RESULTS.md') },
    'no-write': { type: 'boolean', default: false },
    from: { type: 'string' },
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
  const lines = readFileSync(values.from, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const meta = lines.find((l) => l.meta)?.meta ?? {};
  const records = lines.filter((l) => !l.meta) as Record_[];
  const { markdown } = renderResults(`Rebuilt from ${values.from}: ${JSON.stringify(meta)}`, records, ['Some runs may be missing: this is what was saved.']);
  console.log(markdown);
  if (!values['no-write']) writeResults(markdown);
  process.exit(0);
}

const counts = values.hosts!.split(',').map(Number).filter((n) => n > 0);
const workloads = values.workloads!.split(',') as Workload[];
const max = Math.max(...counts);
const W2_HOSTS = ['build', 'relay1', 'relay2', 'relay3'];

let hostNames: string[];
let w2HostNames: string[] | undefined;
if (values['suite-lab']) {
  if (max > 2) throw new Error('--suite-lab has two bench hosts: use --hosts 1,2');
  await ensureLab();
  hostNames = ['bench1', 'bench2'];
  w2HostNames = undefined; // the suite's relay hosts belong to the module tests
} else {
  const tests = execFileSync('sh', ['-c', 'ps -eo args | grep -c "^node.*--test" || true'], { encoding: 'utf8' }).trim();
  if (Number(tests) > 0) throw new Error(`${tests} test process(es) are running on the lab: the full bench takes the lab's hosts away; wait, or use --suite-lab`);
  hostNames = Array.from({ length: max }, (_, i) => `bench${i + 1}`);
  w2HostNames = workloads.includes('w2') ? W2_HOSTS : undefined;
  console.log(`lab up: ${hostNames.length} bench hosts${w2HostNames ? ' + build, relay1-3' : ''}`);
  await labUp({ hosts: [...(w2HostNames ?? []), ...hostNames], groups: { bench: hostNames, ...(w2HostNames ? { relays: ['relay1', 'relay2', 'relay3'] } : {}) } });
}

const rawDir = join(BENCH, 'results');
mkdirSync(rawDir, { recursive: true });
const raw = join(rawDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
appendFileSync(raw, `${JSON.stringify({ meta: { ...values, hostNames } })}\n`);
console.log(`records: ${raw}`);

const result = await runBench({
  hostNames,
  counts,
  runs: Number(values.runs),
  coldRuns: values['cold-runs'] ? Number(values['cold-runs']) : undefined,
  warmup: Number(values.warmup),
  workloads,
  w2HostNames,
  onRecord: ({ stdout, stderr, ...r }) => appendFileSync(raw, `${JSON.stringify(r)}\n`),
});
console.log(`\n${result.markdown}`);
if (!values['no-write']) writeResults(result.markdown);
