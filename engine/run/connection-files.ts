// The controller's files a connection reads (connection/client.ts): each involved host's private key
// and known_hosts file, and its jump hosts'. They are read and checked here, before any host is
// touched: a key file that is missing, or a known_hosts that is not one, is bad input (exit 5) said
// once for all the hosts it concerns, not a host found unreachable (exit 4) after others have run.
import { privateKeyProblem } from '../connection/key-file.ts';
import { KnownHostsFileError, knownHostsStore } from '../connection/known-hosts-store.ts';
import type { ConnectTarget } from '../connection/types.ts';
import { shownPath, type Problem } from '../errors.ts';
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import { knownHostsFor, targetOf, type ConnectSettings } from './connect-host.ts';

export async function connectionFileProblems(hosts: readonly InventoryHost[], inventory: Inventory, settings: ConnectSettings): Promise<Problem[]> {
  const keys = new Map<string, Set<string>>();
  const knownHosts = new Map<string, Set<string>>();
  const note = (map: Map<string, Set<string>>, path: string, host: string) => map.set(path, (map.get(path) ?? new Set()).add(host));
  for (const host of hosts) {
    let target: ConnectTarget | undefined;
    try {
      target = targetOf(host, inventory, settings);
    } catch {
      continue; // a jump loop: the inventory's own check reports it
    }
    for (let hop: ConnectTarget | undefined = target; hop; hop = hop.jump) if (hop.privateKey) note(keys, hop.privateKey, hop.name);
    note(knownHosts, knownHostsFor(host, settings), host.name);
  }

  const inventoryFile = shownPath(inventory.file);
  const problems: Problem[] = [];
  const forHosts = (names: Set<string>) => `host${names.size > 1 ? 's' : ''} ${[...names].join(', ')}`;
  for (const [path, names] of keys) {
    const problem = await privateKeyProblem(path, shownPath(path));
    if (problem) problems.push({ file: inventoryFile, where: forHosts(names), field: 'privateKey', message: problem });
  }
  for (const [path, names] of knownHosts) {
    try {
      await knownHostsStore(path); // kept: the connections use the store read here
    } catch (err) {
      if (!(err instanceof KnownHostsFileError)) throw err;
      const place = `${shownPath(path)}${err.line === undefined ? '' : `:${err.line}`}`;
      const message = `${place}: ${err.reason}`;
      problems.push(settings.knownHosts !== undefined ? { file: '(command line)', field: '--known-hosts', message } : { file: inventoryFile, where: forHosts(names), field: 'knownHosts', message });
    }
  }
  return problems;
}
