// The native inventory shape (see define.ts) into the format-neutral RawInventory.
// Field names like `user` inside vars are plain variables here; only Ansible's ansible_* names are magic.
import { takeAnsibleConnection } from './ansible-vars.ts';
import type { ParseContext } from './context.ts';
import type { NativeConnection, NativeInventory } from './define.ts';
import { expandHostRange } from './range.ts';
import { emptyRaw, ensureGroup, ensureHost, type ConnectionSettings, type PasswordSource, type RawInventory } from './raw.ts';
import { joinPath, schemaProblems, validateInventory } from './schema.ts';

export function parseNative(data: unknown, ctx: ParseContext): RawInventory {
  const raw = emptyRaw(ctx.file);
  if (data === null || data === undefined) {
    ctx.problems.add('', 'the inventory is empty: give it hosts (and groups)');
    return raw;
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    ctx.problems.add('', 'the inventory must be an object with defaults, vars, hosts and groups');
    return raw;
  }
  let inv = data as NativeInventory;
  if (!validateInventory(data)) {
    for (const p of schemaProblems(validateInventory.errors)) ctx.problems.add(p.path, p.message);
    // Go on without the faulty entries, so problems found later (children, passwords) are reported too.
    inv = withoutFaulty(inv, faultyEntries(validateInventory.errors ?? []));
  }
  raw.defaults = connection(inv.defaults ?? {}, ctx);

  const all = raw.groups.get('all')!;
  const top = takeAnsibleConnection(inv.vars ?? {}, (k) => joinPath('vars', k), ctx);
  all.vars = top.vars;
  all.conn = top.conn;

  for (const [pattern, spec] of Object.entries(inv.hosts ?? {})) {
    const path = joinPath('hosts', pattern);
    for (const name of expand(pattern, path, ctx)) {
      const earlier = raw.hosts.get(name);
      if (earlier) {
        ctx.problems.add(path, `host ${name} is already defined by ${earlier.path}`);
        continue;
      }
      const host = ensureHost(raw, name, path);
      const { vars, address, ...conn } = spec ?? {};
      const fromVars = takeAnsibleConnection(vars ?? {}, (k) => joinPath(joinPath(path, 'vars'), k), ctx);
      host.vars = fromVars.vars;
      host.conn = { ...fromVars.conn, ...connection(conn, ctx), ...(address !== undefined ? { address } : {}) };
    }
  }

  for (const [name, spec] of Object.entries(inv.groups ?? {})) {
    const path = joinPath('groups', name);
    if (name === 'all') {
      ctx.problems.add(path, "'all' is implicit: put inventory-wide variables in the top-level vars");
      continue;
    }
    const group = ensureGroup(raw, name, path);
    const fromVars = takeAnsibleConnection(spec?.vars ?? {}, (k) => joinPath(joinPath(path, 'vars'), k), ctx);
    group.vars = fromVars.vars;
    group.conn = fromVars.conn;
    (spec?.hosts ?? []).forEach((pattern, i) => {
      for (const host of expand(pattern, joinPath(joinPath(path, 'hosts'), i), ctx)) {
        ensureHost(raw, host, joinPath(joinPath(path, 'hosts'), i));
        if (!group.hosts.includes(host)) group.hosts.push(host);
      }
    });
    group.children = (spec?.children ?? []).map((child, i) => ({ name: child, path: joinPath(joinPath(path, 'children'), i) }));
  }
  return raw;
}

/** JSON pointers, cut to the entry they fall in: 'defaults', 'vars', 'hosts', 'hosts/web1', 'groups/g'. */
function faultyEntries(errors: readonly { instancePath: string }[]): Set<string> {
  return new Set(
    errors
      .map((e) => e.instancePath.split('/').slice(1))
      .map((parts) => parts.slice(0, parts[0] === 'hosts' || parts[0] === 'groups' ? 2 : 1).join('/'))
      .filter((p) => p !== ''),
  );
}

function withoutFaulty(inv: NativeInventory, bad: Set<string>): NativeInventory {
  const entries = <T>(key: 'hosts' | 'groups', map: Record<string, T> | undefined): Record<string, T | null> | undefined =>
    bad.has(key) || !map ? undefined : Object.fromEntries(Object.entries(map).map(([k, v]) => [k, bad.has(`${key}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`) ? null : v]));
  return {
    defaults: bad.has('defaults') ? undefined : inv.defaults,
    vars: bad.has('vars') ? undefined : inv.vars,
    hosts: entries('hosts', inv.hosts),
    groups: entries('groups', inv.groups),
  };
}

function expand(pattern: string, path: string, ctx: ParseContext): string[] {
  const r = expandHostRange(pattern);
  if (r.ok) return r.names;
  ctx.problems.add(path, r.message);
  return [];
}

/** Native connection fields, with paths resolved against the inventory's folder. */
function connection(c: NativeConnection, ctx: ParseContext): ConnectionSettings {
  const out: ConnectionSettings = { ...c } as ConnectionSettings;
  if (c.privateKey !== undefined) out.privateKey = ctx.path(c.privateKey);
  if (c.knownHosts !== undefined) out.knownHosts = ctx.path(c.knownHosts);
  if (c.becomePassword !== undefined) out.becomePassword = passwordSource(c.becomePassword as PasswordSource, ctx);
  return out;
}

function passwordSource(src: PasswordSource, ctx: ParseContext): PasswordSource {
  return 'file' in src && typeof src.file === 'string' ? { file: ctx.path(src.file) } : src;
}
