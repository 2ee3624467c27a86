/**
 * Variable and connection precedence, lowest first. Later levels replace earlier ones key by key
 * (a shallow merge, like Ansible's default `hash_behaviour = replace`).
 *
 * Variables of a host:
 *   1. inventory vars (top-level `vars`, or `[all:vars]` in INI): the group `all`
 *   2. group vars, in group order: parents before children (by depth, the longest path from `all`),
 *      and among groups of the same depth alphabetically by name (Ansible's rule), so with
 *      `[web]` and `[db]` both at depth 1, `web` wins over `db`
 *   3. host vars (the host's own `vars`, or its key=value pairs on INI host lines)
 *
 * Connection fields of a host (address, port, user, privateKey, knownHosts, become password and method,
 * jump, connect timeout):
 *   1. built-ins: port 22, user = the current user's name (os.userInfo()), address = the host's name,
 *      become method sudo
 *   2. `defaults` (native format)
 *   3. groups, in the same order as for variables; only Ansible's names set them from group vars
 *      (ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file, ansible_become_password,
 *      ansible_become_method, ansible_ssh_common_args/extra_args with ProxyJump, ansible_timeout);
 *      a group var named `user` or `port` is just a variable
 *   4. the host's own fields (native format) or its ansible_* variables (any format); when a native
 *      host sets both, the native field wins
 *   5. command-line overrides (applied by the CLI, not here)
 *
 * The ansible_* connection variables are taken out of `vars` once read, so a become password never
 * lingers in a host's variables.
 */
import type { ConnectionSettings } from './raw.ts';

export interface Layer {
  vars: Record<string, unknown>;
  conn: ConnectionSettings;
}

export interface OrderedGroup extends Layer {
  name: string;
  depth: number;
}

/** Parents before children (by depth), then alphabetical: the order in which group levels are applied. */
export function groupPrecedence<T extends { name: string; depth: number }>(groups: readonly T[]): T[] {
  return [...groups].sort((a, b) => a.depth - b.depth || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Merges variables of the given levels, lowest precedence first. */
export function mergeVars(levels: readonly Record<string, unknown>[]): Record<string, unknown> {
  return Object.assign({}, ...levels);
}

/** Merges connection settings of the given levels, lowest precedence first; unset fields fall through. */
export function mergeConnection(levels: readonly ConnectionSettings[]): ConnectionSettings {
  const out: ConnectionSettings = {};
  for (const level of levels) {
    for (const [key, value] of Object.entries(level)) {
      if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}
