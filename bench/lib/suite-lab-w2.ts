// W2 on the test suite's two bench hosts (`--suite-lab`, and the smoke test in `npm test`): bench2
// plays the build machine and bench1 relay1 (with TURN), 2 hosts instead of the relay fleet's 4.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { labHosts } from './fleet.ts';
import { BENCH } from './tools.ts';
import type { W2Fleet } from './suite.ts';

const INVENTORY = join(BENCH, 'results', '.w2-suite-lab-inventory.ts');

export function suiteLabW2(build = 'bench2', relay1 = 'bench1'): W2Fleet {
  return { hosts: labHosts([build, relay1]).map((h, i) => ({ ...h, name: ['build', 'relay1'][i]! })), labNames: [build, relay1], engineInventory: writeW2Inventory(build, relay1) };
}

/** Removes the inventory suiteLabW2 wrote. */
export function removeSuiteLabW2(): void {
  rmSync(INVENTORY, { force: true });
}

/**
 * The relay fleet of inventory/lab.ts on two lab hosts (build and relay1 only), written under
 * bench/results/ so it loads as ESM. Built with labFleetInventory, so it follows inventory/lab.ts
 * (a text rewrite of that file silently kept the full lab's hosts once lab.ts changed).
 */
function writeW2Inventory(build: string, relay1: string): string {
  mkdirSync(dirname(INVENTORY), { recursive: true });
  const text = [
    `import { labFleetInventory } from ${JSON.stringify(join(BENCH, '..', 'inventory', 'lab.ts'))};`,
    `const all = labFleetInventory({ build: ${JSON.stringify(build)}, relay1: ${JSON.stringify(relay1)}, relay2: ${JSON.stringify(relay1)}, relay3: ${JSON.stringify(relay1)} });`,
    "export default { ...all, hosts: { build: all.hosts.build, relay1: all.hosts.relay1 }, groups: { relays: { hosts: ['relay1'] } } };",
    '',
  ].join('\n');
  writeFileSync(INVENTORY, text);
  return INVENTORY;
}
