// The lab's network: one bridge in the root namespace, and per host a network namespace joined to
// it by a veth pair. No default route in the hosts and no forwarding: hosts reach only 10.77.0.0/24
// (the proxy on the bridge fetches from Debian for them). The root namespace's firewall and
// ip_forward are never touched.
import { existsSync } from 'node:fs';
import { run } from './sh.ts';
import { BRIDGE, BRIDGE_ADDR, PREFIX, netnsName, vethName } from './paths.ts';

const ip = (...args: string[]) => run(['ip', ...args]);
const ipMaybe = (...args: string[]) => run(['ip', ...args], { allowFail: true });

export const linkExists = (dev: string) => existsSync(`/sys/class/net/${dev}`);

export async function bridgeUp(): Promise<void> {
  if (!linkExists(BRIDGE)) await ip('link', 'add', BRIDGE, 'type', 'bridge');
  const addrs = (await ip('-o', 'addr', 'show', 'dev', BRIDGE)).stdout;
  if (!addrs.includes(`${BRIDGE_ADDR}/${PREFIX}`)) await ip('addr', 'add', `${BRIDGE_ADDR}/${PREFIX}`, 'dev', BRIDGE);
  await ip('link', 'set', BRIDGE, 'up');
}

export async function bridgeDown(): Promise<void> {
  if (linkExists(BRIDGE)) await ipMaybe('link', 'del', BRIDGE);
}

/** Namespace + veth + address for one host. Idempotent: a stale veth from a freed namespace is removed first. */
export async function hostNetUp(name: string, address: string): Promise<void> {
  const ns = netnsName(name);
  const veth = vethName(address);
  if (!existsSync(`/run/netns/${ns}`)) await ip('netns', 'add', ns);
  // The peer is named eth0 inside the host; if it is there, this host's wiring is already done.
  const inside = await run(['ip', '-n', ns, '-o', 'addr', 'show', 'dev', 'eth0'], { allowFail: true });
  if (inside.code === 0 && inside.stdout.includes(`${address}/${PREFIX}`) && linkExists(veth)) {
    await ip('link', 'set', veth, 'up');
    return;
  }
  if (linkExists(veth)) await ipMaybe('link', 'del', veth);
  await ipMaybe('-n', ns, 'link', 'del', 'eth0');
  await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
  await ip('link', 'set', veth, 'master', BRIDGE, 'up');
  await ip('-n', ns, 'link', 'set', 'lo', 'up');
  await ip('-n', ns, 'addr', 'add', `${address}/${PREFIX}`, 'dev', 'eth0');
  await ip('-n', ns, 'link', 'set', 'eth0', 'up');
}

export async function hostNetDown(name: string, address: string): Promise<void> {
  // The root-side veth must go explicitly: a deleted namespace is freed lazily and keeps it alive.
  const veth = vethName(address);
  if (linkExists(veth)) await ipMaybe('link', 'del', veth);
  if (existsSync(`/run/netns/${netnsName(name)}`)) await ipMaybe('netns', 'del', netnsName(name));
}

/** `lab cut` / `lab heal`: the host keeps running, its cable is pulled or plugged back. */
export async function setLink(address: string, up: boolean): Promise<void> {
  await ip('link', 'set', vethName(address), up ? 'up' : 'down');
}

export async function linkIsUp(address: string): Promise<boolean> {
  const r = await run(['ip', '-o', 'link', 'show', 'dev', vethName(address)], { allowFail: true });
  return r.code === 0 && /[<,]UP[,>]/.test(r.stdout);
}

/** Lab network objects that exist now, whether or not hosts.json knows them (for `down` and the test). */
export async function leftoverNetwork(): Promise<{ netns: string[]; veths: string[]; bridge: boolean }> {
  const ns = (await run(['ip', 'netns', 'list'], { allowFail: true })).stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith('lab-'));
  const links = (await run(['ip', '-o', 'link', 'show'], { allowFail: true })).stdout
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0])
    .filter((n): n is string => !!n && /^labv\d+$/.test(n));
  return { netns: ns, veths: links, bridge: linkExists(BRIDGE) };
}
