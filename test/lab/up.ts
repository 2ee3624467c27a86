// `lab up`: tools, bridge, services, image, then the hosts in parallel; returns once every host
// answers SSH with the key it was given. Running it again converges: present hosts stay, missing
// ones are made, hosts no longer asked for are removed.
import { readFileSync, writeFileSync } from 'node:fs';
import { ensureTools } from './tools.ts';
import { bridgeUp, hostNetUp } from './network.ts';
import { ensureImageBase } from './image.ts';
import { ensureKey, ensurePassword } from './secrets.ts';
import { bootHost, launcherPid } from './power.ts';
import { prepareHost } from './overlay.ts';
import { destroyHost } from './down.ts';
import { readState, writeState, type LabHost, type LabState } from './state.ts';
import { addressOf, cgroupName, MAX_HOSTS, netnsName, vethName } from './paths.ts';
import { startServices } from './services/index.ts';
import { pool } from './sh.ts';
import { waitSshReady } from './ssh.ts';
import { withLabLock } from './lock.ts';

export interface UpOptions {
  /** Host names, in address order; default h01..hNN for `count`. */
  hosts?: string[];
  count?: number;
  /** group name -> member host names */
  groups?: Record<string, string[]>;
  log?: (msg: string) => void;
  /** How long to wait for every host's sshd (default 120 s). */
  readyTimeoutMs?: number;
}

const NAME = /^[a-z][a-z0-9-]{0,30}$/;

export function planHosts(opts: UpOptions): { names: string[]; groups: Record<string, string[]> } {
  const names = opts.hosts ?? Array.from({ length: opts.count ?? 3 }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
  if (names.length === 0) throw new Error('no hosts asked for');
  if (names.length > MAX_HOSTS) throw new Error(`at most ${MAX_HOSTS} hosts, asked for ${names.length}`);
  for (const n of names) if (!NAME.test(n)) throw new Error(`host name ${JSON.stringify(n)} must match ${NAME}`);
  if (new Set(names).size !== names.length) throw new Error('host names must be unique');
  const groups = opts.groups ?? {};
  for (const [g, members] of Object.entries(groups)) {
    if (!NAME.test(g)) throw new Error(`group name ${JSON.stringify(g)} must match ${NAME}`);
    for (const m of members) if (!names.includes(m)) throw new Error(`group ${g}: ${m} is not one of the hosts`);
  }
  return { names, groups };
}

export function labUp(opts: UpOptions = {}): Promise<LabState> {
  return withLabLock('up', () => up(opts));
}

async function up(opts: UpOptions): Promise<LabState> {
  const log = opts.log ?? (() => {});
  const { names, groups } = planHosts(opts);
  await ensureTools(log);
  // Past ~18 hosts containers die at boot with "Too many open files" at the default 128.
  raiseSysctl('fs/inotify/max_user_instances', 4096);
  raiseSysctl('fs/inotify/max_user_watches', 1048576);
  await ensureKey();
  const shadowHash = await ensurePassword();
  await bridgeUp();
  await startServices(log);
  const base = await ensureImageBase(log);

  const wanted: LabHost[] = names.map((name, i) => {
    const address = addressOf(i);
    return {
      name, address,
      groups: Object.keys(groups).filter((g) => groups[g].includes(name)),
      netns: netnsName(name), veth: vethName(address), cgroup: cgroupName(name),
    };
  });
  const before = readState();
  // A host keeps its disk only if it keeps its name and address; anything else is removed.
  const stale = before.hosts.filter((o) => !wanted.some((w) => w.name === o.name && w.address === o.address));
  await pool(stale, 8, (h) => destroyHost(h));

  const state: LabState = { hosts: wanted, groups };
  log(`starting ${wanted.length} hosts`);
  await pool(wanted, 8, async (h) => {
    await hostNetUp(h.name, h.address);
    await prepareHost(h, base, shadowHash);
  });
  writeState(state); // known_hosts is complete before any host is up
  for (const h of wanted) if (!launcherPid(h.name)) await bootHost(h.name);
  writeState(state); // now with the launchers' pids
  await waitSshReady(wanted, opts.readyTimeoutMs ?? 120_000);
  return readState();
}

/** Raise, never lower, a kernel limit. */
function raiseSysctl(key: string, min: number): void {
  const path = `/proc/sys/${key}`;
  if (Number(readFileSync(path, 'utf8')) < min) writeFileSync(path, String(min));
}
