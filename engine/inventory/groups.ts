// The group graph: checks children (unknown names, cycles), adds 'ungrouped' and the children of 'all',
// and works out each group's depth (longest path from 'all') and each host's groups, transitively.
import type { Problems } from './errors.ts';
import { ensureGroup, type RawInventory } from './raw.ts';

export interface GroupGraph {
  depth: Map<string, number>;
  /** Every group of each host, transitively, including 'all' (unordered). */
  hostGroups: Map<string, Set<string>>;
}

export function resolveGroups(raw: RawInventory, problems: Problems): GroupGraph {
  checkChildren(raw, problems);
  const parents = parentMap(raw);

  const direct = new Map<string, Set<string>>([...raw.hosts.keys()].map((h) => [h, new Set<string>()]));
  for (const g of raw.groups.values()) for (const h of g.hosts) direct.get(h)?.add(g.name);

  // 'ungrouped' holds exactly the hosts that are in no other group (Ansible's rule).
  const ungrouped = ensureGroup(raw, 'ungrouped', 'ungrouped');
  ungrouped.hosts = [...direct.keys()].filter((h) => [...direct.get(h)!].every((g) => g === 'ungrouped'));
  for (const [host, groups] of direct) {
    if (ungrouped.hosts.includes(host)) groups.add('ungrouped');
    else groups.delete('ungrouped');
  }

  const all = raw.groups.get('all')!;
  all.hosts = [];
  all.children = [...raw.groups.keys()]
    .filter((g) => g !== 'all' && (parents.get(g)?.size ?? 0) === 0)
    .map((name) => ({ name, path: 'groups' }));

  const depth = new Map<string, number>([['all', 0]]);
  const depthOf = (g: string, seen: Set<string>): number => {
    const known = depth.get(g);
    if (known !== undefined) return known;
    if (seen.has(g)) return 1; // a cycle, already reported
    seen.add(g);
    const ps = [...(parents.get(g) ?? [])];
    const d = 1 + Math.max(0, ...ps.map((p) => depthOf(p, seen)));
    seen.delete(g);
    depth.set(g, d);
    return d;
  };
  for (const g of raw.groups.keys()) depthOf(g, new Set());

  const hostGroups = new Map<string, Set<string>>();
  for (const [host, groups] of direct) {
    const all = new Set<string>(['all']);
    const stack = [...groups];
    while (stack.length) {
      const g = stack.pop()!;
      if (all.has(g)) continue;
      all.add(g);
      stack.push(...(parents.get(g) ?? []));
    }
    hostGroups.set(host, all);
  }
  return { depth, hostGroups };
}

function parentMap(raw: RawInventory): Map<string, Set<string>> {
  const parents = new Map<string, Set<string>>();
  for (const g of raw.groups.values()) {
    if (g.name === 'all') continue;
    for (const c of g.children) {
      if (!raw.groups.has(c.name) || c.name === 'all') continue;
      if (!parents.has(c.name)) parents.set(c.name, new Set());
      parents.get(c.name)!.add(g.name);
    }
  }
  return parents;
}

function checkChildren(raw: RawInventory, problems: Problems): void {
  for (const g of raw.groups.values()) {
    for (const c of g.children) {
      if (c.name === 'all') problems.add(c.path, `'all' cannot be a child of ${g.name}`);
      else if (c.name === g.name) problems.add(c.path, `group ${g.name} lists itself in children`);
      else if (!raw.groups.has(c.name)) problems.add(c.path, `unknown group '${c.name}' in children of ${g.name}`);
    }
  }
  for (const cycle of findCycles(raw)) {
    const first = raw.groups.get(cycle[0]!)!.children.find((c) => c.name === cycle[1]);
    problems.add(first?.path ?? raw.groups.get(cycle[0]!)!.path, `cycle in children: ${cycle.join(' -> ')}`);
  }
}

/** Each cycle once, as a closed list of names (a -> b -> a), starting from its first group in file order. Self-loops are reported apart. */
function findCycles(raw: RawInventory): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (g: string): void => {
    state.set(g, 'open');
    stack.push(g);
    for (const c of raw.groups.get(g)?.children ?? []) {
      if (c.name === g || !raw.groups.has(c.name)) continue;
      const s = state.get(c.name);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(c.name)), c.name]);
      else if (s === undefined) visit(c.name);
    }
    stack.pop();
    state.set(g, 'done');
  };
  for (const g of raw.groups.keys()) if (!state.has(g)) visit(g);
  return cycles;
}
