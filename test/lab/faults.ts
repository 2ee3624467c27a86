// Faults on demand for reliability tests, and `reset` for tests that need a fresh host.
import { flushFirewall } from './firewall.ts';
import { bootHost, killHost, rebootHost } from './power.ts';
import { wipeHost, prepareHost } from './overlay.ts';
import { setLink } from './network.ts';
import { readState, writeState } from './state.ts';
import { ensureImageBase } from './image.ts';
import { ensurePassword } from './secrets.ts';
import { waitSshReady } from './ssh.ts';
import { withLabLock } from './lock.ts';
import { pool } from './sh.ts';

function host(name: string) {
  const h = readState().hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no lab host named ${name}`);
  return h;
}

/** Hard power-off; the host stays off until `reboot` or `up`. */
export function killLabHost(name: string): Promise<void> {
  return withLabLock('killLabHost', () => killLabHostNow(name));
}

async function killLabHostNow(name: string): Promise<void> {
  host(name);
  await killHost(name);
  writeState(readState());
}

/** Pull the host's cable (its root-side veth goes down); the host keeps running. */
export const cutHost = (name: string) => setLink(host(name).address, false);
export const healHost = (name: string) => setLink(host(name).address, true);

/** Clean restart (or boot, if it was killed), waiting until SSH answers again. */
export function rebootLabHost(name: string): Promise<void> {
  return withLabLock('rebootLabHost', () => rebootLabHostNow(name));
}

async function rebootLabHostNow(name: string): Promise<void> {
  const h = host(name);
  await rebootHost(name);
  writeState(readState());
  await waitSshReady([h], 60_000);
}

/** Power off, throw away the host's disk changes, boot it as a fresh host (new host key). */
export const resetHost = (name: string): Promise<void> => resetHosts([name]);

/** resetHost for several hosts at once (8 disks prepared in parallel), under one hold of the lab lock. */
export function resetHosts(names: string[]): Promise<void> {
  return withLabLock('resetHosts', () => resetHostsNow(names));
}

async function resetHostsNow(names: string[]): Promise<void> {
  const hosts = names.map(host);
  const base = await ensureImageBase(() => {});
  const hash = await ensurePassword();
  await pool(hosts, 8, async (h) => {
    await flushFirewall(h.name);
    await killHost(h.name);
    await wipeHost(h.name);
    await prepareHost(h, base, hash);
  });
  writeState(readState()); // known_hosts gets the new keys before the hosts boot
  for (const h of hosts) await bootHost(h.name);
  writeState(readState());
  await waitSshReady(hosts, 60_000 + 1_000 * hosts.length);
}

export const faults = {
  kill: killLabHost,
  cut: cutHost,
  heal: healHost,
  reboot: rebootLabHost,
  reset: resetHost,
} as const;

