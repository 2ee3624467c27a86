// `npm run bench [-- --hosts 1,10,25,50 --runs 5 --warmup 1 --workloads w1-warm,w1-cold,w3,w2]`:
// brings the lab up with its own hosts (bench1..benchN, and build/relay1-3 for W2), runs the engine
// and Ansible side by side, prints the tables and writes bench/RESULTS.md (measured part).
// `--suite-lab` runs on the test suite's two bench hosts instead (no labUp; N ≤ 2).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labUp } from '../test/lab/index.ts';
import { ensureLab } from '../test/integration/lab-fixture.ts';
import { runBench } from './lib/bench.ts';
import { BENCH } from './lib/tools.ts';
import type { Workload } from './lib/suite.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1,10,25,50' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    workloads: { type: 'string', default: 'w1-warm,w1-cold,w3,w2' },
    'suite-lab': { type: 'boolean', default: false },
    out: { type: 'string', default: join(BENCH, 'RESULTS.md') },
    'no-write': { type: 'boolean', default: false },
  },
});

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

const result = await runBench({
  hostNames,
  counts,
  runs: Number(values.runs),
  warmup: Number(values.warmup),
  workloads,
  w2HostNames,
});
console.log(`\n${result.markdown}`);
if (!values['no-write']) {
  // Every run's figures, raw, beside the summary.
  const rawDir = join(BENCH, 'results');
  mkdirSync(rawDir, { recursive: true });
  const raw = join(rawDir, `${result.started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(raw, JSON.stringify({ options: values, records: result.records.map(({ stdout, stderr, ...r }) => r) }, null, 1));
  const out = values.out!;
  const text = readFileSync(out, { encoding: 'utf8', flag: 'a+' });
  const begin = '<!-- measured: begin -->';
  const end = '<!-- measured: end -->';
  const block = `${begin}\n${result.markdown}\n${end}`;
  writeFileSync(out, text.includes(begin) ? text.replace(new RegExp(`${begin}[\\s\\S]*${end}`), () => block) : `${text}\n${block}\n`);
  console.log(`written: ${out}`);
}
