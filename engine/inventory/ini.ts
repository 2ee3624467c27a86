// Ansible INI inventories: hosts at the top (ungrouped), [group], [group:children], [group:vars],
// per-host key=value (quotes for spaces), ranges, and comments starting with # or ;.
// Problems name the line; they never quote a line back, since it may hold a password.
import { takeAnsibleConnection } from './ansible-vars.ts';
import type { ParseContext } from './context.ts';
import { parseIniValue } from './ini-value.ts';
import { expandHostRange } from './range.ts';
import { emptyRaw, ensureGroup, ensureHost, type RawInventory } from './raw.ts';
import { splitWords } from './words.ts';

type Section = { group: string; kind: 'hosts' | 'children' | 'vars'; line: number };

export function parseIni(text: string, ctx: ParseContext): RawInventory {
  const raw = emptyRaw(ctx.file);
  const defined = new Set(['all', 'ungrouped']);
  const groupVars = new Map<string, { line: number; vars: Record<string, unknown> }[]>();
  const varSections: Section[] = [];
  let section: Section = { group: 'ungrouped', kind: 'hosts', line: 0 };

  text.split(/\r?\n/).forEach((rawLine, i) => {
    const n = i + 1;
    const at = `line ${n}`;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const m = /^\[([^\]\s:]+)(?::(\w+))?\]\s*([#;].*)?$/.exec(line);
      if (!m || (m[2] !== undefined && m[2] !== 'children' && m[2] !== 'vars')) {
        ctx.problems.add(at, 'section header must be [group], [group:children] or [group:vars]');
        section = { group: '', kind: 'hosts', line: n };
        return;
      }
      section = { group: m[1]!, kind: (m[2] as Section['kind'] | undefined) ?? 'hosts', line: n };
      if (section.kind === 'vars') varSections.push(section);
      else {
        defined.add(section.group);
        ensureGroup(raw, section.group, at);
      }
      return;
    }
    if (section.group === '') return; // under a broken header: already reported
    if (section.kind === 'children') {
      const words = splitWords(line, { comments: true });
      if (!words.ok || words.words.length !== 1) ctx.problems.add(at, 'a [group:children] line must hold one group name');
      else ensureGroup(raw, section.group, at).children.push({ name: words.words[0]!, path: at });
    } else if (section.kind === 'vars') {
      const eq = line.indexOf('=');
      const key = line.slice(0, eq).trim();
      if (eq < 0 || !/^\w+$/.test(key)) ctx.problems.add(at, `a [${section.group}:vars] line must be key=value`);
      else {
        const list = groupVars.get(section.group) ?? [];
        list.push({ line: n, vars: { [key]: parseIniValue(stripComment(line.slice(eq + 1))) } });
        groupVars.set(section.group, list);
      }
    } else {
      hostLine(line, at, section.group, raw, ctx);
    }
  });

  for (const s of varSections) {
    if (!defined.has(s.group)) ctx.problems.add(`line ${s.line}`, `[${s.group}:vars] names a group that has no [${s.group}] or [${s.group}:children] section`);
  }
  for (const [name, entries] of groupVars) {
    if (!defined.has(name)) continue;
    const group = ensureGroup(raw, name, `line ${entries[0]!.line}`);
    for (const e of entries) {
      const { conn, vars } = takeAnsibleConnection(e.vars, () => `line ${e.line}`, ctx);
      Object.assign(group.vars, vars);
      Object.assign(group.conn, conn);
    }
  }
  return raw;
}

/** `name[:port] key=value key2="a b"  # comment` */
function hostLine(line: string, at: string, group: string, raw: RawInventory, ctx: ParseContext): void {
  const split = splitWords(line, { comments: true });
  if (!split.ok) return ctx.problems.add(at, `${split.message} on a host line`);
  const [first, ...pairs] = split.words;
  if (!first) return;
  const { pattern, port } = splitPort(first);
  const expanded = expandHostRange(pattern);
  if (!expanded.ok) return ctx.problems.add(at, expanded.message);

  const hostVars: Record<string, unknown> = {};
  pairs.forEach((pair, i) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) ctx.problems.add(at, `word ${i + 2} is not key=value (quote values that contain spaces)`);
    else hostVars[pair.slice(0, eq)] = parseIniValue(pair.slice(eq + 1));
  });
  if (port !== undefined) hostVars.ansible_port ??= port;
  const { conn, vars } = takeAnsibleConnection(hostVars, () => at, ctx);

  for (const name of expanded.names) {
    const host = ensureHost(raw, name, at);
    Object.assign(host.vars, vars);
    Object.assign(host.conn, conn);
    // 'ungrouped' and 'all' are worked out once every group is known (build.ts).
    if (group !== 'ungrouped' && group !== 'all') {
      const g = ensureGroup(raw, group, at);
      if (!g.hosts.includes(name)) g.hosts.push(name);
    }
  }
}

/** `host:2222` -> port 2222; a colon inside a range ([01:20]) or an IPv6 address is not a port. */
function splitPort(word: string): { pattern: string; port?: number } {
  let depth = 0;
  const colons: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (word[i] === '[') depth++;
    else if (word[i] === ']') depth--;
    else if (word[i] === ':' && depth === 0) colons.push(i);
  }
  if (colons.length !== 1) return { pattern: word };
  const at = colons[0]!;
  const port = word.slice(at + 1);
  return /^\d+$/.test(port) ? { pattern: word.slice(0, at), port: Number(port) } : { pattern: word };
}

function stripComment(value: string): string {
  const m = /^(.*?)\s+#.*$/.exec(value);
  return m && !/^\s*['"]/.test(value) ? m[1]! : value;
}
