// Where the engine's own time goes on W1 (`tsx bench/profile.ts [--hosts bench1,...] [--repeat 5]`):
// start-up pieces measured one by one (node, tsx's loader, each dependency, the engine's module graph
// with and without tsx's transform cache, an esbuild bundle of the engine as a prototype), then W1
// warm runs split into start-up / connect / facts+plan+execute from the engine's own events, and a
// CPU profile (node --cpu-prof) of one run, its self time grouped by package. Prints markdown.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { measure, type Measured } from './lib/measure.ts';
import { labHosts, writeFleetFiles, WORK_DIR, ensureWorkDir } from './lib/fleet.ts';
import { REPO, BENCH, engineRun } from './lib/tools.ts';
import { stat } from './lib/report.ts';

const { values } = parseArgs({ options: { hosts: { type: 'string', default: 'bench1' }, repeat: { type: 'string', default: '5' }, counts: { type: 'string', default: '' } } });
const repeat = Number(values.repeat);
const names = values.hosts!.split(',');
const counts = values.counts ? values.counts.split(',').map(Number) : [names.length];
ensureWorkDir();
const dir = join(WORK_DIR, 'profile');
mkdirSync(dir, { recursive: true });
const NODE = process.execPath;
const out: string[] = [];
const say = (l: string) => {
  out.push(l);
  console.log(l);
};

async function median(argv: string[], env?: NodeJS.ProcessEnv): Promise<{ wall: number; cpu: number; rss: number; last: Measured }> {
  const runs: Measured[] = [];
  for (let i = 0; i < repeat; i++) {
    const m = await measure(argv, { cwd: REPO, env: { ...process.env, ...env } });
    if (m.code !== 0) throw new Error(`${argv.join(' ')} exited ${m.code}: ${m.stderr.slice(-2000)}`);
    runs.push(m);
  }
  return { wall: stat(runs.map((r) => r.wallS)).median, cpu: stat(runs.map((r) => r.cpuS)).median, rss: stat(runs.map((r) => r.peakRssMaxMb)).median, last: runs.at(-1)! };
}

const row = (what: string, r: { wall: number; cpu: number; rss: number }, note = '') => say(`| ${what} | ${r.wall.toFixed(3)} | ${r.cpu.toFixed(3)} | ${r.rss.toFixed(0)} | ${note} |`);
const imp = (spec: string) => [NODE, '--input-type=module', '-e', `await import(${JSON.stringify(spec)})`];

// --- start-up, piece by piece
say(`Load average at the start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} CPUs (other work on the machine inflates wall times more than CPU times).`);
say('');
say(`Start-up pieces (median of ${repeat}; wall and CPU seconds of the whole process tree, peak RSS MB):`);
say('');
say('| what | wall s | CPU s | RSS MB | note |');
say('|---|---|---|---|---|');
const empty = join(dir, 'empty.ts');
writeFileSync(empty, 'export {};\n');
const base = await median([NODE, '-e', '0']);
row('node -e 0', base, 'the floor of any Node program');
row('node --import tsx empty.ts', await median([NODE, '--import', 'tsx', empty]), "tsx's loader registered, one tiny file");
row('tsx empty.ts (node_modules/.bin)', await median([join(REPO, 'node_modules/.bin/tsx'), empty]), "tsx's CLI: a second node process");
row('npx tsx empty.ts', await median(['npx', 'tsx', empty]), "what the README's `npx tsx engine` adds: npx's own node process");
for (const dep of ['commander', 'yaml', 'ajv', '@sinclair/typebox', 'ssh2', 'p-queue', 'diff', 'handlebars', 'winston']) {
  row(`import '${dep}'`, await median(imp(dep)), 'plain node, no tsx');
}
row("import all nine", await median([NODE, '--input-type=module', '-e', `await Promise.all(${JSON.stringify(['commander', 'yaml', 'ajv', '@sinclair/typebox', 'ssh2', 'p-queue', 'diff', 'handlebars', 'winston'])}.map((d) => import(d)))`]));
const graph = [NODE, '--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(join(REPO, 'engine/cli/run-command.ts'))}); await import(${JSON.stringify(join(REPO, 'modules/index.ts'))})`];
row('engine graph (run-command.ts + modules/index.ts), tsx cache warm', await median(graph), 'transforms read from /tmp/tsx-0');
row('the same, TSX_DISABLE_CACHE=1', await median(graph, { TSX_DISABLE_CACHE: '1' }), 'every file transformed by esbuild at start');
const files = execFileSync('sh', ['-c', `cd ${REPO} && ls engine/*.ts engine/*/*.ts modules/*.ts modules/*/*.ts | wc -l`], { encoding: 'utf8' }).trim();
say(`| (engine + modules: ${files} .ts files) | | | | |`);

// --- the start-up of `engine run` step by step (bench/lib/startup-probe.ts), under tsx
{
  const probe = [NODE, '--import', 'tsx', join(BENCH, 'lib', 'startup-probe.ts'), join(BENCH, 'workloads', 'w1.ts'), writeFleetFiles(labHosts(names.slice(0, 1)), 'profile-probe').engineInventory];
  const all: Array<Array<[string, number, number]>> = [];
  for (let i = 0; i < repeat; i++) all.push(JSON.parse(execFileSync(probe[0], probe.slice(1), { cwd: REPO, encoding: 'utf8' }).trim().split('\n').at(-1)!));
  say('');
  say(`Start-up of \`engine run\` under tsx, step by step (bench/lib/startup-probe.ts; median of ${repeat}; each step adds what the earlier ones did not load):`);
  say('');
  say('| step | wall ms | CPU ms (all threads) | cumulative wall ms |');
  say('|---|---|---|---|');
  let pw = 0;
  let pc = 0;
  all[0].forEach(([what], i) => {
    const w = stat(all.map((r) => r[i][1])).median;
    const c = stat(all.map((r) => r[i][2])).median;
    say(`| ${what} | ${(w - pw).toFixed(0)} | ${(c - pc).toFixed(0)} | ${w.toFixed(0)} |`);
    pw = w;
    pc = c;
  });
  say('');
}

// --- bundles of the engine (prototypes, outside engine/): what start-up costs when nothing is transpiled
const esbuild = join(REPO, 'node_modules/.bin/esbuild');
const build = (outfile: string, extra: string[]) => {
  const t = Date.now();
  execFileSync(esbuild, [join(REPO, 'engine/index.ts'), '--bundle', '--platform=node', '--format=esm', '--target=node20', `--outfile=${outfile}`, '--log-level=error', ...extra], { cwd: REPO });
  return `${(readFileSync(outfile).length / 1024).toFixed(0)} KiB, built in ${((Date.now() - t) / 1000).toFixed(2)} s`;
};
// The engine's own code in one file, dependencies imported from node_modules as usual.
const own = join(BENCH, '.proto-engine-own.mjs');
// Everything in one file but ssh2 (native addon): dependencies pre-linked too.
const all = join(BENCH, '.proto-engine-all.mjs');
try {
  const ownInfo = build(own, ['--packages=external']);
  const allInfo = build(all, ['--external:ssh2', '--banner:js=import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);']);
  row('`engine modules` under tsx (the whole engine + every module)', await median([NODE, '--import', 'tsx', join(REPO, 'engine/index.ts'), 'modules']));
  row('`engine modules`, bundle of the engine\'s own code, plain node', await median([NODE, own, 'modules']), ownInfo);
  row('`engine modules`, bundle with dependencies (not ssh2), plain node', await median([NODE, all, 'modules']), allInfo);
  row('`engine modules`, the same bundle under node --import tsx', await median([NODE, '--import', 'tsx', all, 'modules']), 'tsx kept for the .ts playbook');
} finally {
  rmSync(own, { force: true });
  rmSync(all, { force: true });
}
say('');

// --- W1 warm runs: start-up vs connect vs the rest, from the engine's events
for (const n of counts) {
  const hosts = labHosts(names.slice(0, n));
  const files = writeFleetFiles(hosts, `profile-n${n}`);
  const w1 = join(BENCH, 'workloads', 'w1.ts');
  await engineRun(w1, files, n); // converge
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = Date.now();
    const r = await engineRun(w1, files, n);
    const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const start = Date.parse(events.find((e) => e.type === 'run.start').time);
    const end = events.find((e) => e.type === 'run.end');
    const connected = events.filter((e) => e.type === 'host.connected');
    const lastConnect = Math.max(...connected.map((e) => Date.parse(e.time)));
    const firstTask = Math.min(...events.filter((e) => e.type === 'task.result').map((e) => Date.parse(e.time) - e.ms));
    runs.push({
      wall: r.wallS,
      cpu: r.cpuS,
      rss: r.peakRssMaxMb,
      startup: (start - t0) / 1000,
      connect: (lastConnect - start) / 1000,
      connectMs: stat(connected.map((e) => e.ms)).median / 1000,
      facts: (firstTask - lastConnect) / 1000,
      tasks: (Date.parse(end.time) - firstTask) / 1000,
      exit: r.wallS - (Date.parse(end.time) - t0) / 1000,
      trips: r.roundTrips ?? 0,
    });
  }
  const m = (k: string) => stat(runs.map((r) => r[k])).median.toFixed(3);

  // The same run with no tsx at all (prototype): the engine bundled with its dependencies (ssh2
  // kept external: native addon), the playbook bundled on its own beside the original (its folder
  // is the base of relative paths), both run by plain node.
  const proto = join(BENCH, '.proto-engine-all.mjs');
  const protoPb = join(BENCH, 'workloads', '.proto-w1.mjs');
  const banner = '--banner:js=import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);';
  try {
    execFileSync(join(REPO, 'node_modules/.bin/esbuild'), [join(REPO, 'engine/index.ts'), '--bundle', '--platform=node', '--format=esm', '--target=node20', `--outfile=${proto}`, '--log-level=error', '--external:ssh2', banner], { cwd: REPO });
    execFileSync(join(REPO, 'node_modules/.bin/esbuild'), [w1, '--bundle', '--platform=node', '--format=esm', '--target=node20', `--outfile=${protoPb}`, '--log-level=error', banner], { cwd: REPO });
    const b = await median([NODE, proto, 'run', protoPb, '-i', files.engineInventory, '--json', '-f', String(n)]);
    if (!b.last.stdout.includes('"recap"')) throw new Error(`prototype run without a recap: ${b.last.stderr}`);
    say(`W1 warm, N=${n}, prototype without tsx (engine and playbook pre-bundled, plain node; median of ${repeat}): wall ${b.wall.toFixed(3)} s, CPU ${b.cpu.toFixed(3)} s, RSS ${b.rss.toFixed(0)} MB`);
    say('');
  } finally {
    rmSync(proto, { force: true });
    rmSync(protoPb, { force: true });
  }
  say(`W1 warm, N=${n}, engine (median of ${repeat}): wall ${m('wall')} s, CPU ${m('cpu')} s, RSS ${m('rss')} MB, ${m('trips')} execs/host`);
  say('');
  say('| phase | s |');
  say('|---|---|');
  say(`| process start to run.start (node, tsx, module graph, playbook and inventory load, validation) | ${m('startup')} |`);
  say(`| run.start to the last host.connected (TCP, SSH handshake, auth; median per host ${m('connectMs')}) | ${m('connect')} |`);
  say(`| last connect to the first task's start (fact gathering: one exec; first task starts after it) | ${m('facts')} |`);
  say(`| first task to run.end (planning, the echo exec, recap) | ${m('tasks')} |`);
  say(`| run.end to process exit | ${m('exit')} |`);
  say('');

  // CPU profile of one run, self time by package
  const profDir = join(dir, `cpuprof-n${n}`);
  rmSync(profDir, { recursive: true, force: true });
  const argv = [NODE, '--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=200', '--import', 'tsx', join(REPO, 'engine/index.ts'), 'run', w1, '-i', files.engineInventory, '--json', '-f', String(n)];
  const pr = await measure(argv, { cwd: REPO });
  if (pr.code !== 0) throw new Error(pr.stderr);
  say(`CPU profile of one W1 warm run at N=${n} (node --cpu-prof, self time by where the code lives; wall ${pr.wallS.toFixed(2)} s with the profiler on):`);
  say('');
  say('| where | self ms | share |');
  say('|---|---|---|');
  for (const f of readdirSync(profDir)) {
    const p = JSON.parse(readFileSync(join(profDir, f), 'utf8')) as { nodes: { id: number; callFrame: { url: string; functionName: string } }[]; samples: number[]; timeDeltas: number[] };
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    const buckets = new Map<string, number>();
    p.samples.forEach((id, i) => {
      const node = byId.get(id)!;
      const k = bucket(node.callFrame.url, node.callFrame.functionName);
      buckets.set(k, (buckets.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    });
    const total = [...buckets.values()].reduce((a, b) => a + b, 0);
    for (const [k, ms] of [...buckets].sort((a, b) => b[1] - a[1]).slice(0, 16)) say(`| ${k} | ${ms.toFixed(0)} | ${((100 * ms) / total).toFixed(1)}% |`);
    // File names end in PID.THREAD.SEQ: thread 0 is the main thread, the other one the module-hooks
    // thread Node 20 runs tsx's loader on.
    const thread = Number(f.split('.').at(-3));
    say(`| total sampled, ${thread === 0 ? 'main thread' : `thread ${thread} (module hooks: tsx's loader)`} | ${total.toFixed(0)} | |`);
  }
  say('');
}

function bucket(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] === 'tsx' || nm[1] === 'esbuild' ? `tsx loader (${nm[1]})` : `dep: ${nm[1]}`;
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/vm')) return 'node: module loading (resolve, compile, link)';
  if (url.startsWith('node:')) return `node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  const rel = url.replace(`file://${REPO}/`, '');
  if (rel.startsWith('engine/')) return `engine/${rel.split('/')[1].replace(/\.ts.*/, '')}`;
  if (rel.startsWith('modules/')) return 'modules/';
  if (rel.startsWith('bench/')) return 'the playbook';
  return rel.slice(0, 60);
}

say(`Load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
writeFileSync(join(dir, 'profile.md'), out.join('\n') + '\n');
console.log(`\nwritten: ${join(dir, 'profile.md')}`);
