// RawInventory -> Inventory: resolves groups, reads become passwords, merges variables and connection
// settings with the precedence of vars.ts, and checks jump hosts. Throws one InventoryError with every problem.
import type { Secret } from '../secret.ts';
import { builtinUser, hostConnection, isJumpSpec } from './connection.ts';
import type { ParseContext } from './context.ts';
import { resolveGroups } from './groups.ts';
import { resolvePassword } from './password.ts';
import type { ConnectionSettings, PasswordSource, RawInventory } from './raw.ts';
import { joinPath } from './schema.ts';
import type { Inventory, InventoryGroup, InventoryHost } from './types.ts';
import { groupPrecedence, mergeConnection, mergeVars } from './vars.ts';

export async function buildInventory(raw: RawInventory, ctx: ParseContext): Promise<Inventory> {
  const { depth, hostGroups } = resolveGroups(raw, ctx.problems);
  const passwords = await readPasswords(raw, ctx);
  const user = builtinUser(ctx.env);

  const hosts: InventoryHost[] = [];
  for (const h of raw.hosts.values()) {
    const groups = groupPrecedence([...hostGroups.get(h.name)!].map((name) => ({ name, depth: depth.get(name) ?? 1 })));
    const levels = groups.map((g) => raw.groups.get(g.name)!);
    const settings = mergeConnection([raw.defaults, ...levels.map((g) => g.conn), h.conn]);
    // A jump host inherited from defaults or a group does not apply to that jump host itself.
    if (settings.jump === h.name && h.conn.jump === undefined) delete settings.jump;
    const password = settings.becomePassword ? passwords.get(settings.becomePassword) : undefined;
    hosts.push({
      name: h.name,
      ...hostConnection(h.name, settings, password, user),
      groups: groups.map((g) => g.name),
      vars: mergeVars([...levels.map((g) => g.vars), h.vars]),
    });
  }
  checkJumps(hosts, raw, ctx);
  ctx.problems.throwIfAny();

  const groups = new Map<string, InventoryGroup>();
  for (const g of raw.groups.values()) {
    groups.set(g.name, { name: g.name, hosts: [...g.hosts], children: g.children.map((c) => c.name), vars: { ...g.vars } });
  }
  return { file: raw.file, hosts, groups };
}

/** Reads every declared password source once, reporting each unreadable one where it was declared. */
async function readPasswords(raw: RawInventory, ctx: ParseContext): Promise<Map<PasswordSource, Secret>> {
  const declared: [string, ConnectionSettings][] = [
    [raw.defaultsPath, raw.defaults],
    ...[...raw.groups.values()].map((g): [string, ConnectionSettings] => [g.path, g.conn]),
    ...[...raw.hosts.values()].map((h): [string, ConnectionSettings] => [h.path, h.conn]),
  ];
  const out = new Map<PasswordSource, Secret>();
  for (const [path, conn] of declared) {
    const source = conn.becomePassword;
    if (!source || out.has(source)) continue;
    const result = await resolvePassword(source, ctx.env);
    if (result.ok) out.set(source, result.secret);
    else ctx.problems.add(path.startsWith('line ') ? path : joinPath(path, 'becomePassword'), result.message);
  }
  return out;
}

/** A jump names an inventory host or reads [user@]host[:port]; chains of inventory hosts must not loop. */
function checkJumps(hosts: InventoryHost[], raw: RawInventory, ctx: ParseContext): void {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  for (const h of hosts) {
    if (h.jump === undefined) continue;
    const own = raw.hosts.get(h.name)!;
    const path = own.path.startsWith('line ') ? own.path : joinPath(own.path, 'jump');
    const from = own.conn.jump === undefined ? ' (inherited from defaults or a group)' : '';
    if (!byName.has(h.jump)) {
      if (!isJumpSpec(h.jump)) ctx.problems.add(path, `jump "${h.jump}" is neither an inventory host nor [user@]host[:port]${from}`);
      continue;
    }
    const chain = [h.name];
    for (let next: string | undefined = h.jump; next !== undefined && byName.has(next); next = byName.get(next)!.jump) {
      if (chain.includes(next)) {
        if (next === h.name) ctx.problems.add(path, `jump hosts loop: ${[...chain, next].join(' -> ')}${from}`);
        break;
      }
      chain.push(next);
    }
  }
}
