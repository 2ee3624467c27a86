// The format-neutral shape every loader produces before groups are resolved and variables merged.
import type { Secret } from '../secret.ts';

/** Where a become password comes from; files are resolved to absolute paths by the parsers. */
export type PasswordSource = Secret | { file: string } | { env: string } | { value: string };

/** Connection settings at one level (defaults, a group, a host); unset fields fall through to the level below. */
export interface ConnectionSettings {
  address?: string;
  port?: number;
  user?: string;
  privateKey?: string;
  knownHosts?: string;
  becomeMethod?: 'sudo';
  becomePassword?: PasswordSource;
  jump?: string;
  connectTimeoutMs?: number;
}

/** `path` is where the thing was declared, for error messages (`hosts.web1`, `line 12`). */
export interface RawHost {
  name: string;
  path: string;
  conn: ConnectionSettings;
  vars: Record<string, unknown>;
}

export interface RawRef {
  name: string;
  path: string;
}

export interface RawGroup {
  name: string;
  path: string;
  hosts: string[];
  children: RawRef[];
  conn: ConnectionSettings;
  vars: Record<string, unknown>;
}

export interface RawInventory {
  file: string;
  /** Connection defaults below every group (native format only). */
  defaults: ConnectionSettings;
  defaultsPath: string;
  /** In file order. */
  hosts: Map<string, RawHost>;
  /** Always holds 'all', whose vars are the inventory-wide vars. */
  groups: Map<string, RawGroup>;
}

export function emptyRaw(file: string): RawInventory {
  const raw: RawInventory = { file, defaults: {}, defaultsPath: 'defaults', hosts: new Map(), groups: new Map() };
  ensureGroup(raw, 'all', 'vars');
  return raw;
}

export function ensureGroup(raw: RawInventory, name: string, path: string): RawGroup {
  let group = raw.groups.get(name);
  if (!group) {
    group = { name, path, hosts: [], children: [], conn: {}, vars: {} };
    raw.groups.set(name, group);
  }
  return group;
}

export function ensureHost(raw: RawInventory, name: string, path: string): RawHost {
  let host = raw.hosts.get(name);
  if (!host) {
    host = { name, path, conn: {}, vars: {} };
    raw.hosts.set(name, host);
  }
  return host;
}
