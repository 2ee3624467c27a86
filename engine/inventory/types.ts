// The loaded inventory: every host with its connection settled and its variables merged.
// Loaders (TypeScript, YAML, Ansible INI) all end in this one shape.
import type { Secret } from '../secret.ts';

export interface HostConnection {
  address: string;
  port: number;
  user: string;
  /** Path to a private key file; without it the SSH agent is used. */
  privateKey?: string;
  /** Path to an OpenSSH known_hosts file for this host (the CLI's --known-hosts overrides it). */
  knownHosts?: string;
  become: { method: 'sudo'; password?: Secret };
  /** ProxyJump: another inventory host's name, or [user@]host[:port]. */
  jump?: string;
  connectTimeoutMs?: number;
}

export interface InventoryHost extends HostConnection {
  name: string;
  /** Every group the host belongs to, transitively, including 'all', in variable precedence order. */
  groups: string[];
  /** Variables merged with the precedence documented in vars.ts. */
  vars: Record<string, unknown>;
}

export interface InventoryGroup {
  name: string;
  /** Hosts listed directly in this group. */
  hosts: string[];
  /** Direct child groups. */
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  file: string;
  /** In file order. */
  hosts: InventoryHost[];
  groups: Map<string, InventoryGroup>;
}
