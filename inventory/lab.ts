// The relay guide on the lab (`npm run lab -- up --hosts build,relay1,relay2,relay3 ...`), in the
// guide's mode: the same playbook, with the lab's key, known_hosts and sudo password, Pebble as the
// ACME server, and the fixture simplexmq repository from the lab's git server. (Upstream mode on
// the lab: inventory/lab-upstream.ts.) Addresses come from the lab's
// own record of what it brought up.
import { join } from 'node:path';
import { defineInventory, type NativeHost, type NativeInventory } from '../engine/inventory/index.ts';
import { secret } from '../engine/secret.ts';
import { labAddress } from './lab-address.ts';

const LAB_DIR = process.env.LAB_DIR ?? '/var/lib/shipshape-lab';

/** Which lab host plays each part of the fleet. */
export interface LabFleet {
  build: string;
  relay1: string;
  relay2: string;
  relay3: string;
}

/** The relay fleet on the given lab hosts (tests run a second fleet on other hosts). */
export function labFleetInventory(fleet: LabFleet): NativeInventory {
  const relay = (name: 'relay1' | 'relay2' | 'relay3', turn: boolean): NativeHost => ({
    address: labAddress(fleet[name]),
    vars: { smpFqdn: `smp.${name}.lab.test`, xfpFqdn: `xfp.${name}.lab.test`, turn, turnFqdn: `turn.${name}.lab.test`, turnPassword: secret(`lab-turn-${name}-pw`) },
  });
  return defineInventory({
    defaults: {
      user: 'deploy',
      privateKey: join(LAB_DIR, 'id_ed25519'),
      knownHosts: join(LAB_DIR, 'known_hosts'),
      becomePassword: { file: join(LAB_DIR, 'become-password') },
    },
    vars: {
      mode: 'guide',
      domain: 'lab.test',
      acmeEmail: 'admin@lab.test',
      acmeServer: 'https://10.77.0.1:14000/dir',
      simplexRepo: 'git://10.77.0.1/simplexmq.git',
      // The guide's 1 GiB: lab hosts share this machine's memory, so they pass.
      minMemoryMb: 1024,
      // The controller (the bridge side) tests that root and password logins are refused: those
      // failures must not get it banned from the fleet it manages.
      fail2banIgnoreIp: ['10.77.0.1'],
    },
    hosts: {
      build: { address: labAddress(fleet.build) },
      relay1: relay('relay1', true),
      relay2: relay('relay2', false),
      relay3: relay('relay3', false),
    },
    groups: {
      relays: { hosts: ['relay1', 'relay2', 'relay3'] },
    },
  });
}

export default labFleetInventory({ build: 'build', relay1: 'relay1', relay2: 'relay2', relay3: 'relay3' });
