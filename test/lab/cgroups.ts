// Each host's launcher, nspawn and guest live in cgroup lab-NAME in every hierarchy (see
// launcher.sh). That makes a host's processes enumerable (kill, PSS) and its traces removable.
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupName } from './paths.ts';

const ROOT = '/sys/fs/cgroup';

export function hierarchies(): string[] {
  return readdirSync(ROOT)
    .map((h) => join(ROOT, h))
    .filter((h) => existsSync(join(h, 'cgroup.procs')));
}

/** Every pid in the host's cgroup tree (name=systemd hierarchy, which systemd keeps complete). */
export function cgroupPids(name: string): number[] {
  const pids = new Set<number>();
  for (const h of ['systemd', 'unified']) {
    const top = join(ROOT, h, cgroupName(name));
    if (existsSync(top)) walk(top, (d) => {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.add(Number(p));
    });
  }
  return [...pids];
}

function walk(dir: string, fn: (d: string) => void): void {
  fn(dir);
  for (const e of readdirSync(dir)) {
    const sub = join(dir, e);
    try {
      if (statSync(sub).isDirectory()) walk(sub, fn);
    } catch {}
  }
}

/** rmdir the host's cgroup trees bottom-up in every hierarchy (only empty cgroups can go). */
export function removeCgroups(name: string): void {
  for (const h of hierarchies()) {
    const top = join(h, cgroupName(name));
    if (!existsSync(top)) continue;
    const dirs: string[] = [];
    walk(top, (d) => dirs.push(d));
    for (const d of dirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {}
    }
  }
}

/** Lab cgroups still present anywhere (for `down` and the test). */
export function leftoverCgroups(): string[] {
  const out: string[] = [];
  for (const h of hierarchies()) for (const e of readdirSync(h)) if (e.startsWith('lab-')) out.push(join(h, e));
  return out;
}
