// The lab the behaviour tests share: one bring-up for the suite (the lab is a machine-wide
// singleton), hosts reset to fresh when a test needs a fresh host.
import { labStatus, labUp, labPaths, resetHosts } from '../lab/index.ts';

// One fixed set for the whole suite: `up` removes hosts it is not asked for, so every test file
// asks for the same ones. Module tests each take their own node (see the test files).
const NODES = ['node1', 'node2', 'node3', 'node4', 'node5', 'node6', 'node7', 'node8'];
const BENCH = ['bench1', 'bench2'];
// The convergence harness (conv*) and the package-prediction tests (pkg*) reset their hosts per case.
const CONV = ['conv1', 'conv2', 'conv3'];
const PKG = ['pkg1', 'pkg2'];
export const LAB_HOSTS = ['build', 'relay1', 'relay2', 'relay3', ...NODES, ...BENCH, ...CONV, ...PKG];
export const LAB_GROUPS = { relays: ['relay1', 'relay2', 'relay3'], nodes: NODES, bench: BENCH, conv: CONV, pkg: PKG };

export async function ensureLab(): Promise<typeof labPaths> {
  // test/run.sh brought the lab up for two lanes of tests that share it: a host the other lane is
  // resetting, rebooting or has cut would look missing here, and an `up` would wait on it or boot
  // it under that lane's feet. Each file resets the hosts it needs itself.
  if (process.env.SHIPSHAPE_SUITE_LAB === 'up') return labPaths;
  const status = await labStatus().catch(() => undefined);
  const running = new Set((status?.hosts ?? []).filter((h) => h.running && h.ssh).map((h) => h.name));
  if (!LAB_HOSTS.every((h) => running.has(h))) await labUp({ hosts: LAB_HOSTS, groups: LAB_GROUPS });
  return labPaths;
}

export async function freshHosts(...names: string[]): Promise<void> {
  await resetHosts(names);
}
