// Everything of the lab's that can outlive a process: used by `down` to verify itself and by the
// test to assert that nothing is left. Found by scanning the system, not by reading the lab's state.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { leftoverNetwork } from './network.ts';
import { leftoverCgroups } from './cgroups.ts';
import { labPaths } from './paths.ts';

export interface Leftovers {
  netns: string[];
  veths: string[];
  bridge: boolean;
  mounts: string[];
  cgroups: string[];
  processes: string[];
  nspawnRun: string[];
}

// Only what the lab starts: its launcher, nspawn on a lab namespace, services run with lab paths.
const processMarks = () => ['launcher.sh', '--network-namespace-path=/run/netns/lab-', labPaths.runDir, labPaths.pebbleDir, labPaths.gitDir, 'http-serve.ts'];

export function labProcesses(): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // dead, awaiting its parent
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (processMarks().some((m) => cmd.includes(m))) out.push(`${p} ${cmd}`);
    } catch {}
  }
  return out;
}

export async function findLeftovers(): Promise<Leftovers> {
  const net = await leftoverNetwork();
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && m.startsWith(labPaths.dir + '/'));
  const nspawnRun: string[] = [];
  for (const d of ['/run/systemd/nspawn/propagate', '/run/systemd/nspawn/locks']) {
    if (existsSync(d)) for (const e of readdirSync(d)) nspawnRun.push(`${d}/${e}`);
  }
  return { ...net, mounts, cgroups: leftoverCgroups(), processes: labProcesses(), nspawnRun };
}

export function isClean(l: Leftovers): boolean {
  return !l.bridge && [l.netns, l.veths, l.mounts, l.cgroups, l.processes, l.nspawnRun].every((a) => a.length === 0);
}
