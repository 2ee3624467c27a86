// `lab down`: every host powered off and removed, then the services and the bridge. It also sweeps
// lab objects hosts.json does not know (a crashed `up`), so it leaves nothing behind either way.
import { existsSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { hostNetDown, bridgeDown, leftoverNetwork } from './network.ts';
import { stopHost } from './power.ts';
import { wipeHost, isMounted } from './overlay.ts';
import { leftoverCgroups, removeCgroups } from './cgroups.ts';
import { readState, type LabHost } from './state.ts';
import { labPaths } from './paths.ts';
import { stopServices } from './services/index.ts';
import { pool, run } from './sh.ts';
import { findLeftovers, isClean } from './leftovers.ts';
import { pruneOldImages } from './image.ts';
import { withLabLock } from './lock.ts';

/** Power a host off and remove its namespace, veth, overlay and cgroups. */
export async function destroyHost(h: Pick<LabHost, 'name' | 'address'>): Promise<void> {
  await stopHost(h.name);
  await hostNetDown(h.name, h.address);
  await wipeHost(h.name);
}

export function labDown(log: (m: string) => void = () => {}): Promise<void> {
  return withLabLock('down', () => down(log));
}

async function down(log: (m: string) => void): Promise<void> {
  const state = readState();
  const known = new Map(state.hosts.map((h) => [h.name, h]));
  // Hosts on disk that hosts.json lost track of.
  if (existsSync(labPaths.hostsDir)) {
    for (const name of readdirSync(labPaths.hostsDir)) if (!known.has(name)) known.set(name, { name, address: '' } as LabHost);
  }
  log(`stopping ${known.size} hosts`);
  await pool([...known.values()], 16, (h) => destroyHost(h));

  // Sweep: namespaces/veths/cgroups named like the lab's but unknown to its state.
  const left = await leftoverNetwork();
  for (const v of left.veths) await run(['ip', 'link', 'del', v], { allowFail: true });
  for (const ns of left.netns) await run(['ip', 'netns', 'del', ns], { allowFail: true });
  for (const cg of leftoverCgroups()) removeCgroups(cg.split('/').pop()!.slice('lab-'.length));

  await stopServices();
  await bridgeDown();
  for (const f of [labPaths.hostsJson, labPaths.knownHosts, labPaths.inventory, labPaths.becomePasswordFile]) rmSync(f, { force: true });
  // Never delete through a still-mounted host root.
  for (const name of known.keys()) if (isMounted(join(labPaths.hostsDir, name, 'root'))) throw new Error(`${name}: overlay still mounted`);
  rmSync(labPaths.hostsDir, { recursive: true, force: true });
  // nspawn's per-machine directories; the shared ones go only if nothing else uses them.
  for (const d of ['/run/systemd/nspawn/propagate', '/run/systemd/nspawn/locks', '/run/systemd/nspawn']) {
    if (d !== '/run/systemd/nspawn' && existsSync(d)) {
      for (const name of known.keys()) rmSync(join(d, name), { recursive: true, force: true });
    }
    try {
      rmdirSync(d);
    } catch {}
  }
  const after = await findLeftovers();
  if (!isClean(after)) throw new Error(`down left things behind: ${JSON.stringify(after)}`);
  pruneOldImages();
}
