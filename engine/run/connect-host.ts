// Builds the SSH target of an inventory host (with its jump host) and opens the link.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../connection/index.ts';
import type { ConnectTarget } from '../connection/types.ts';
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import type { EventBus } from '../report/events.ts';
import { HostLink } from './host-link.ts';

export interface ConnectSettings {
  /** --known-hosts: overrides the inventory's knownHosts. */
  knownHosts?: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs?: number;
}

export function knownHostsFor(host: InventoryHost, settings: ConnectSettings): string {
  return settings.knownHosts ?? host.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
}

export function targetOf(host: InventoryHost, inventory: Inventory, settings: ConnectSettings, seen: string[] = []): ConnectTarget {
  const target: ConnectTarget = {
    name: host.name,
    address: host.address,
    port: host.port,
    user: host.user,
    privateKey: host.privateKey,
    connectTimeoutMs: settings.connectTimeoutMs ?? host.connectTimeoutMs,
  };
  if (host.jump) {
    if (seen.includes(host.name)) throw new Error(`jump hosts loop: ${[...seen, host.name].join(' -> ')}`);
    const viaInventory = inventory.hosts.find((h) => h.name === host.jump);
    target.jump = viaInventory ? targetOf(viaInventory, inventory, settings, [...seen, host.name]) : parseJump(host.jump, host);
  }
  return target;
}

function parseJump(spec: string, host: InventoryHost): ConnectTarget {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new Error(`jump host '${spec}' is not [user@]host[:port]`);
  return { name: spec, user: m[1] ?? host.user, address: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22, privateKey: host.privateKey };
}

export async function openLink(host: InventoryHost, inventory: Inventory, settings: ConnectSettings, bus: EventBus): Promise<HostLink> {
  const target = targetOf(host, inventory, settings);
  const options = { knownHostsFile: knownHostsFor(host, settings), acceptNewHostKeys: settings.acceptNewHostKeys };
  const started = performance.now();
  const connection = await connect(target, options);
  bus.emit({ type: 'host.connected', host: host.name, ms: Math.round(performance.now() - started) });
  return new HostLink(host, connection, bus, () => connect(target, options));
}
