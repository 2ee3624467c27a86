// defineInventory: the typed entry point for TypeScript inventories. The same shape is accepted from YAML.
//
//   export default defineInventory({
//     defaults: { user: 'deploy', privateKey: '~/.ssh/id_ed25519', becomePassword: secret(process.env.PW!) },
//     vars: { ntp: 'pool.ntp.org' },
//     hosts: { build: { address: '10.77.0.10' }, relay1: {} },
//     groups: { relays: { hosts: ['relay1', 'relay[02:20].example.org'], vars: { role: 'relay' } } },
//   });
import type { Secret } from '../secret.ts';

/** A become password: a Secret (TypeScript), or where to read it from. Relative files resolve against the inventory's folder. */
export type BecomePassword = Secret | { file: string } | { env: string };

export interface NativeConnection {
  user?: string;
  port?: number;
  /** Path to a private key file; without it the SSH agent is used. */
  privateKey?: string;
  /** Path to an OpenSSH known_hosts file. */
  knownHosts?: string;
  becomeMethod?: 'sudo';
  becomePassword?: BecomePassword;
  /** Another inventory host's name, or [user@]host[:port]. */
  jump?: string;
  connectTimeoutMs?: number;
}

export interface NativeHost extends NativeConnection {
  /** Defaults to the host's name. */
  address?: string;
  vars?: Record<string, unknown>;
}

export interface NativeGroup<G extends string = string> {
  /** Host names, ranges allowed (`relay[01:20].example.org`); hosts not listed under `hosts` get the defaults. */
  hosts?: string[];
  /** Names of other groups defined in this inventory. */
  children?: G[];
  vars?: Record<string, unknown>;
}

export interface NativeInventory<G extends string = string> {
  defaults?: NativeConnection;
  /** Variables for every host, lowest precedence. */
  vars?: Record<string, unknown>;
  hosts?: Record<string, NativeHost | null>;
  groups?: Record<G, NativeGroup<NoInfer<G>> | null>;
}

/** Returns its argument; the type makes the editor flag unknown fields and children that name no group. */
export function defineInventory<G extends string = string>(inventory: NativeInventory<G>): NativeInventory<G> {
  return inventory;
}
