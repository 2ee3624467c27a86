// Where the engine's own time goes on W1 (`tsx bench/profile.ts [--hosts bench1,...] [--repeat 5]`):
// start-up pieces measured one by one (node, tsx's launchers, each dependency, the engine's bundle
// as the bench runs it, behind `npx tsx`, and rebuilt after a change), then W1 warm runs split into
// start-up / connect / facts+plan+execute from the engine's own events, and a CPU profile
// (node --cpu-prof) of one run, its self time grouped by where the code lives. Prints markdown.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { measure, type Measured } from './lib/measure.ts';
import { labHosts, writeFleetFiles, WORK_DIR, ensureWorkDir } from './lib/fleet.ts';
import { REPO, BENCH, engineRun, floorRun } from './lib/tools.ts';
import { hostsCpuDuring } from './lib/host-cpu.ts';
import { labPaths } from '../test/lab/index.ts';
import { sshArgs } from '../test/lab/ssh.ts';
import { spawnSync } from 'node:child_process';
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
// --- the engine's own start: its bundle in plain node (engine/cli.mjs), and behind the README's launchers
{
  const modules = [NODE, join(REPO, 'engine', 'cli.mjs'), 'modules'];
  await median(modules); // the bundle is fresh before anything is timed
  row('`node engine/cli.mjs modules` (the whole engine + every module, from its bundle)', await median(modules), 'what the bench measures');
  row('`npx tsx engine modules`', await median(['npx', 'tsx', 'engine', 'modules']), "README's command: npx, tsx's CLI, the launcher, then the same bundle");
  const stamps = join(REPO, 'node_modules', '.cache', 'shipshape', 'engine.stamps.json');
  const rebuilds: Measured[] = [];
  for (let i = 0; i < repeat; i++) {
    rmSync(stamps, { force: true });
    rebuilds.push(await measure(modules, { cwd: REPO }));
  }
  row('the same after a source change (bundle rebuilt by esbuild first)', { wall: stat(rebuilds.map((r) => r.wallS)).median, cpu: stat(rebuilds.map((r) => r.cpuS)).median, rss: stat(rebuilds.map((r) => r.peakRssMaxMb)).median }, 'once per change');
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

  say(`W1 warm, N=${n}, engine (median of ${repeat}): wall ${m('wall')} s, CPU ${m('cpu')} s, RSS ${m('rss')} MB, ${m('trips')} execs/host`);
  say('');
  say('| phase | s |');
  say('|---|---|');
  say(`| process start to run.start (node, the engine's bundle, playbook and inventory load, validation) | ${m('startup')} |`);
  say(`| run.start to the last host.connected (TCP, SSH handshake, auth; median per host ${m('connectMs')}) | ${m('connect')} |`);
  say(`| last connect to the first task's start (fact gathering: one exec; first task starts after it) | ${m('facts')} |`);
  say(`| first task to run.end (planning, the echo exec, recap) | ${m('tasks')} |`);
  say(`| run.end to process exit | ${m('exit')} |`);
  say('');

  // CPU profile of one run, self time by package
  const profDir = join(dir, `cpuprof-n${n}`);
  rmSync(profDir, { recursive: true, force: true });
  const argv = [NODE, '--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=200', join(REPO, 'engine', 'cli.mjs'), 'run', w1, '-i', files.engineInventory, '--json', '-f', String(n)];
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
    say(`| total sampled | ${total.toFixed(0)} | |`);
  }
  say('');
}

// --- where a host's time goes at scale: CPU per host on the controller and on the hosts
// (W1 warm converged, engine against the floor), then what one exec costs a host, plain and
// behind sudo (the engine's lock, fact and echo execs all become root).
for (const n of counts) {
  const hosts = labHosts(names.slice(0, n));
  const files = writeFleetFiles(hosts, `profile-n${n}`);
  const w1 = join(BENCH, 'workloads', 'w1.ts');
  const per = (x: number) => ((1000 * x) / n).toFixed(1);
  say(`CPU per host, W1 warm at N=${n} (median of ${repeat}; hosts' CPU from their cpuacct cgroups, ms per host):`);
  say('');
  say('| tool | wall s | controller CPU ms/host | hosts CPU ms/host | both ms/host | execs/host |');
  say('|---|---|---|---|---|---|');
  for (const [tool, run] of [['engine', () => engineRun(w1, files, n)], ['floor (ssh true)', () => floorRun(hosts)]] as const) {
    const xs: { wall: number; cpu: number; hosts: number; trips: number }[] = [];
    for (let i = 0; i < repeat; i++) {
      const { result, hostsCpuS } = await hostsCpuDuring(names.slice(0, n), run);
      xs.push({ wall: result.wallS, cpu: result.cpuS, hosts: hostsCpuS, trips: result.roundTrips ?? 0 });
    }
    const med = (k: 'wall' | 'cpu' | 'hosts' | 'trips') => stat(xs.map((x) => x[k])).median;
    say(`| ${tool} | ${med('wall').toFixed(2)} | ${per(med('cpu'))} | ${per(med('hosts'))} | ${per(med('cpu') + med('hosts'))} | ${med('trips')} |`);
  }
  say('');
}
{
  // One host, one OpenSSH master connection, K execs over it: only the host's CPU is counted.
  const host = labHosts([names[0]])[0];
  const control = join(dir, 'ctl-%C');
  // The lab's ssh options (sshArgs ends with the destination, which goes back after ours).
  const base = [...sshArgs(host.address, 'deploy').slice(0, -1), '-o', `ControlPath=${control}`];
  const master = spawnSync(base[0], [...base.slice(1), '-o', 'ControlMaster=yes', '-o', 'ControlPersist=120', '-f', '-N', `deploy@${host.address}`]);
  if (master.status !== 0) throw new Error(`ssh master to ${host.name}: ${master.stderr}`);
  // The sudo password goes on stdin, as the engine sends it; never on a command line.
  const password = readFileSync(labPaths.becomePasswordFile);
  const K = 20;
  const cost = async (argv: string[], stdin?: Buffer) =>
    (await hostsCpuDuring([host.name], async () => {
      for (let i = 0; i < K; i++) {
        const r = spawnSync(base[0], [...base.slice(1), `deploy@${host.address}`, ...argv], { input: stdin });
        if (r.status !== 0) throw new Error(`${argv.join(' ')} on ${host.name} exited ${r.status}`);
      }
    })).hostsCpuS / K;
  const plain = await cost(['true']);
  const sudo = await cost(['sudo', '-S', '-p', "''", 'true'], password);
  spawnSync(base[0], [...base.slice(1), '-O', 'exit', `deploy@${host.address}`]);
  say(`One exec over an open connection, the host's CPU (${host.name}, mean of ${K}): \`true\` ${(1000 * plain).toFixed(1)} ms; \`sudo -S true\` with the password on stdin ${(1000 * sudo).toFixed(1)} ms.`);
  say('');
}

/** Where a sampled function lives. The engine's bundle holds the engine and its dependencies alike. */
function bucket(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  if (url.endsWith('/.cache/shipshape/engine.mjs')) return "the engine's bundle (engine, modules, dependencies)";
  if (url.includes('/.cache/shipshape/user/')) return 'the playbook and inventory (bundled)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `dep: ${nm[1]}`;
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/vm')) return 'node: module loading (resolve, compile, link)';
  if (url.startsWith('node:')) return `node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  return url.replace(`file://${REPO}/`, '').slice(0, 60);
}

say(`Load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
writeFileSync(join(dir, 'profile.md'), out.join('\n') + '\n');
console.log(`\nwritten: ${join(dir, 'profile.md')}`);
