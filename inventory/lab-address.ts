// A lab host's address, from the lab's own record of what it brought up. Its own file so that an
// inventory of some lab hosts (lab-upstream.ts: relays only) does not load lab.ts, whose default
// export asks for a build host too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const LAB_DIR = process.env.LAB_DIR ?? '/var/lib/shipshape-lab';

export function labAddress(name: string): string {
  let state: { hosts: Array<{ name: string; address: string }> };
  try {
    state = JSON.parse(readFileSync(join(LAB_DIR, 'hosts.json'), 'utf8'));
  } catch {
    throw new Error(`inventory/lab-address.ts: the lab is not up (no ${LAB_DIR}/hosts.json): run npm run lab -- up --hosts build,relay1,relay2,relay3`);
  }
  const host = state.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`inventory/lab-address.ts: the lab has no host named ${name}`);
  return host.address;
}

