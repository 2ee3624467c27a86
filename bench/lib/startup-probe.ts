// Run as `node --import tsx bench/lib/startup-probe.ts PLAYBOOK INVENTORY`: imports what
// `engine run` imports, step by step, and prints one JSON line of milliseconds since the process
// started (performance.now()) after each step, CPU included. Used by bench/profile.ts. Each step
// only adds what earlier steps did not already load, so the deltas add up to the start-up.
import { performance } from 'node:perf_hooks';

const marks: Array<[string, number, number]> = [];
const cpu0 = process.cpuUsage();
const mark = (what: string) => {
  const c = process.cpuUsage(cpu0);
  marks.push([what, performance.now(), (c.user + c.system) / 1000]);
};
mark('node bootstrap + tsx loader registered (first line of the probe)');
await import('commander');
mark('commander');
await import('yaml');
mark('yaml');
await import('ajv');
mark('ajv (import)');
await import('@sinclair/typebox');
mark('@sinclair/typebox');
await import('ssh2');
mark('ssh2');
await import('winston');
mark('winston');
await import('handlebars');
mark('handlebars');
await import('diff');
await import('p-queue');
mark('diff + p-queue');
await import('../../engine/inventory/index.ts');
mark('engine/inventory (+ the inventory schema compiled by ajv)');
await import('../../engine/connection/index.ts');
mark('engine/connection');
const { runCommand } = await import('../../engine/cli/run-command.ts');
mark('engine/cli/run-command.ts and the rest of the engine');
await import('../../modules/index.ts');
mark('modules/index.ts (every module, their typebox schemas)');
const { loadPlaybook } = await import('../../engine/playbook/load.ts');
await loadPlaybook(process.argv[2]);
mark('the playbook file (through tsx)');
const { loadInventory } = await import('../../engine/inventory/index.ts');
await loadInventory(process.argv[3]);
mark('the inventory file');
void runCommand;
console.log(JSON.stringify(marks));
