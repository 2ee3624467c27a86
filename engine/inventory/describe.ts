// `engine inventory --list` (JSON of hosts, connection and vars, secrets as ***) and `--graph` (Ansible's tree).
import { maskDeep, maskSecrets } from '../secret.ts';
import type { HostConnection, Inventory } from './types.ts';

export interface InventoryListing {
  file: string;
  hosts: Record<string, { connection: HostConnection; groups: string[]; vars: Record<string, unknown> }>;
  groups: Record<string, { hosts: string[]; children: string[]; vars: Record<string, unknown> }>;
}

export function listInventory(inv: Inventory): InventoryListing {
  const hosts: InventoryListing['hosts'] = {};
  for (const { name, groups, vars, ...connection } of inv.hosts) hosts[name] = { connection, groups, vars };
  const groups: InventoryListing['groups'] = {};
  for (const g of inv.groups.values()) groups[g.name] = { hosts: g.hosts, children: g.children, vars: g.vars };
  return { file: inv.file, hosts, groups };
}

/** @all: then each child group (alphabetical) as |--@name:, and its own hosts (inventory order) below it. */
export function graphInventory(inv: Inventory): string {
  const lines: string[] = [];
  const indent = (depth: number, text: string) => (depth === 0 ? text : `${'  |'.repeat(depth)}--${text}`);
  const walk = (name: string, depth: number): void => {
    const group = inv.groups.get(name);
    if (!group) return;
    lines.push(indent(depth, `@${name}:`));
    for (const child of [...group.children].sort()) walk(child, depth + 1);
    for (const host of group.hosts) lines.push(indent(depth + 1, host));
  };
  walk('all', 0);
  return lines.join('\n');
}

/** The text `engine inventory` prints: JSON for 'list', the tree for 'graph'. Secrets print as ***. */
export function describeInventory(inv: Inventory, format: 'list' | 'graph' = 'list'): string {
  // The listing is masked before it is serialised: JSON escapes a secret holding a quote or a backslash.
  return format === 'graph' ? maskSecrets(graphInventory(inv)) : JSON.stringify(maskDeep(listInventory(inv)), null, 2);
}
