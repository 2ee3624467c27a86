// What `up` writes for the engine and the tests: hosts.json (the lab's own record), known_hosts
// (each host's real key, by address) and inventory.yml. Files are replaced atomically so a reader
// never sees half of one.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostPaths, labPaths } from './paths.ts';
import { launcherPid } from './power.ts';

export interface LabHost {
  name: string;
  address: string;
  groups: string[];
  netns: string;
  veth: string;
  cgroup: string;
  /** The launcher's pid when hosts.json was last written (absent: powered off). */
  pid?: number;
}

export interface LabState {
  hosts: LabHost[];
  groups: Record<string, string[]>;
}

export function writeAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

export function readState(): LabState {
  if (!existsSync(labPaths.hostsJson)) return { hosts: [], groups: {} };
  return JSON.parse(readFileSync(labPaths.hostsJson, 'utf8')) as LabState;
}

export function writeState(state: LabState): void {
  state = { ...state, hosts: state.hosts.map((h) => ({ ...h, pid: launcherPid(h.name) })) };
  writeAtomic(labPaths.hostsJson, JSON.stringify(state, null, 2) + '\n');
  writeKnownHosts(state);
  writeInventory(state);
}

/** Plain (unhashed) entries keyed by address, one per host, from the keys made at prepare time. */
export function writeKnownHosts(state: LabState): void {
  const lines = state.hosts
    .filter((h) => existsSync(hostPaths(h.name).hostKeyPub))
    .map((h) => {
      const [type, key] = readFileSync(hostPaths(h.name).hostKeyPub, 'utf8').trim().split(/\s+/);
      return `${h.address} ${type} ${key}`;
    });
  writeAtomic(labPaths.knownHosts, lines.join('\n') + (lines.length ? '\n' : ''));
}

/** The inventory in the engine's format, flow style per host and group as in the lab issue. */
export function writeInventory(state: LabState): void {
  const q = (s: string) => (/^[\w./-]+$/.test(s) ? s : JSON.stringify(s));
  const lines = [
    '# written by `npm run lab -- up`',
    'defaults:',
    '  user: deploy',
    `  privateKey: ${q(labPaths.privateKey)}`,
    `  knownHosts: ${q(labPaths.knownHosts)}`,
    `  becomePassword: { file: ${q(labPaths.becomePasswordFile)} }`,
    'vars: {}',
    state.hosts.length ? 'hosts:' : 'hosts: {}',
    ...state.hosts.map((h) => `  ${q(h.name)}: { address: ${h.address} }`),
    Object.keys(state.groups).length ? 'groups:' : 'groups: {}',
    ...Object.entries(state.groups).map(([g, hs]) => `  ${q(g)}: { hosts: [${hs.map(q).join(', ')}] }`),
  ];
  writeAtomic(labPaths.inventory, lines.join('\n') + '\n');
}
