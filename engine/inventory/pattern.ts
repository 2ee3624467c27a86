// Host patterns with Ansible's semantics, for play `hosts` and --limit:
//   terms separated by ',' (or ':' when there is no comma): a host name, a group name, all or *,
//   a glob (relay*, web-?), ~regex (matched from the start of host and group names), @file (host names,
//   one a line, relative to cwd), and the prefixes !term (exclude) and &term (intersect).
// Plain terms are unioned first, then intersections apply, then exclusions; a pattern of only ! and &
// terms starts from all. The result is in inventory order without duplicates.
// A term that matches nothing is an error naming it: a typo in --limit must not silently select nothing.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { globToRegExp, isGlob } from './glob.ts';
import type { Inventory, InventoryHost } from './types.ts';

export class PatternError extends Error {
  /** Each problem names its term: `"webz" matches no host or group`. */
  readonly problems: readonly string[];
  constructor(readonly pattern: string, problems: readonly string[]) {
    super(`host pattern "${pattern}": ${problems.join('; ')}`);
    this.name = 'PatternError';
    this.problems = problems;
  }
}

export interface SelectOptions {
  /** Folder @file terms are resolved against; default process.cwd(). */
  cwd?: string;
}

export function splitPattern(pattern: string): string[] {
  const parts = pattern.includes(',') ? pattern.split(',') : splitOnColons(pattern);
  return parts.map((t) => t.trim()).filter((t) => t !== '');
}

export function selectHosts(inv: Inventory, pattern: string, opts: SelectOptions = {}): InventoryHost[] {
  const terms = splitPattern(pattern);
  if (terms.length === 0) throw new PatternError(pattern, ['the pattern is empty']);
  const problems: string[] = [];
  /** `term` is written as given (with its ! or &) in problems; `body` is what is matched. */
  const match = (term: string, body = term): Set<string> => {
    const r = matchTerm(inv, body, opts.cwd ?? process.cwd());
    if (typeof r === 'string') problems.push(r);
    else if (r.size === 0) problems.push(`"${term}" matches no host or group`);
    return typeof r === 'string' ? new Set() : r;
  };

  const plain = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  const selected = new Set<string>();
  for (const t of plain) for (const h of match(t)) selected.add(h);
  if (plain.length === 0) for (const h of inv.hosts) selected.add(h.name);
  for (const t of terms.filter((t) => t.startsWith('&'))) {
    const keep = match(t, t.slice(1));
    for (const h of [...selected]) if (!keep.has(h)) selected.delete(h);
  }
  for (const t of terms.filter((t) => t.startsWith('!'))) for (const h of match(t, t.slice(1))) selected.delete(h);

  if (problems.length) throw new PatternError(pattern, problems);
  return inv.hosts.filter((h) => selected.has(h.name));
}

/** The host names one term selects, or a problem. */
function matchTerm(inv: Inventory, term: string, cwd: string): Set<string> | string {
  if (term === 'all' || term === '*') return new Set(inv.hosts.map((h) => h.name));
  if (term.startsWith('@')) return fromFile(inv, term, cwd);
  let test: (name: string) => boolean;
  if (term.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${term.slice(1)})`);
    } catch (e) {
      return `"${term}" is not a valid regular expression (${(e as Error).message})`;
    }
    test = (name) => re.test(name);
  } else if (isGlob(term)) {
    const re = globToRegExp(term);
    test = (name) => re.test(name);
  } else {
    test = (name) => name === term;
  }
  const groups = new Set([...inv.groups.keys()].filter(test));
  return new Set(inv.hosts.filter((h) => test(h.name) || h.groups.some((g) => groups.has(g))).map((h) => h.name));
}

function fromFile(inv: Inventory, term: string, cwd: string): Set<string> | string {
  const file = resolve(cwd, term.slice(1));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `cannot read "${term}" (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  const known = new Set(inv.hosts.map((h) => h.name));
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) return `"${term}" names hosts not in the inventory: ${unknown.join(', ')}`;
  return new Set(names);
}

/** Splits on ':' outside brackets, so a range or character class with ':' stays whole. */
function splitOnColons(pattern: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of pattern) {
    if (c === '[') depth++;
    if (c === ']') depth = Math.max(0, depth - 1);
    if (c === ':' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
