// The engine's peers, one call each for W1 and W2: Ansible, Ansible with Mitogen, pyinfra. Which
// of them a run has is decided once (availablePeers): Ansible and Mitogen come from Debian's
// packages (provision.ts installs them), pyinfra only when one is installed (pyinfra.ts).
import { join } from 'node:path';
import type { BenchHost, FleetFiles } from './fleet.ts';
import { findPyinfra, pyinfraRun, W1_PYINFRA, W2_PYINFRA } from './pyinfra.ts';
import { ansibleRun, BENCH, REPO, type Peer, type ToolRun } from './tools.ts';

export const W1_ENGINE = join(BENCH, 'workloads', 'w1.ts');
export const W1_ANSIBLE = join(BENCH, 'ansible', 'w1.yml');
export const RELAY_PLAYBOOK = join(REPO, 'playbooks', 'relay.ts');
export const LAB_INVENTORY = join(REPO, 'inventory', 'lab.ts');
export const RELAY_ANSIBLE = join(BENCH, 'ansible', 'relay.yml');

export const ALL_PEERS: Peer[] = ['ansible', 'mitogen', 'pyinfra'];

export interface PeerSet {
  peers: Peer[];
  /** The pyinfra executable, when pyinfra is among the peers. */
  pyinfra?: string;
  /** Why a peer asked for is not there (said in the report). */
  notes: string[];
}

/** The peers asked for that this machine has (Ansible and Mitogen are installed before this). */
export function availablePeers(wanted: Peer[], env: NodeJS.ProcessEnv = process.env): PeerSet {
  const set: PeerSet = { peers: [], notes: [] };
  for (const p of wanted) {
    if (p !== 'pyinfra') {
      set.peers.push(p);
      continue;
    }
    const found = findPyinfra(env);
    if (found) {
      set.peers.push(p);
      set.pyinfra = found;
    } else {
      set.notes.push('pyinfra: not found ($PYINFRA or /opt/pyinfra-venv/bin/pyinfra), left out of this run.');
    }
  }
  return set;
}

/** Ansible-based peers need python3 on the hosts; pyinfra and the engine drive a bare shell. */
export const needsPython = (p: Peer): boolean => p !== 'pyinfra';

export async function peerW1(set: PeerSet, p: Peer, files: FleetFiles, hosts: BenchHost[], countTrips: boolean): Promise<ToolRun> {
  if (p === 'pyinfra') return pyinfraRun(set.pyinfra!, W1_PYINFRA, files, hosts);
  return ansibleRun(W1_ANSIBLE, files, hosts, { countTrips, mitogen: p === 'mitogen' });
}

export async function peerW2(set: PeerSet, p: Peer, files: FleetFiles, hosts: BenchHost[], opts: { check?: boolean; countTrips?: boolean }): Promise<ToolRun> {
  if (p === 'pyinfra') return pyinfraRun(set.pyinfra!, W2_PYINFRA, files, hosts, { check: opts.check });
  return ansibleRun(RELAY_ANSIBLE, files, hosts, { ...opts, mitogen: p === 'mitogen' });
}
