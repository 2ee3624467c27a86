// The shape of a loaded playbook, checked before anything else uses it: what TypeScript would have
// said (a file is not type-checked when it runs), and names that must be unique for the run to mean
// one thing. Every problem at once, each naming the play, the task and the field.
import type { Problem } from '../errors.ts';
import type { Play, Playbook, Task } from './define.ts';

const HOW = 'export default playbook(play({ name, hosts, tasks: [...] }), ...)';

export function checkShape(file: string, value: unknown, hasDefault: boolean): Problem[] {
  if (!hasDefault) return [{ file, message: `has no default export: ${HOW}` }];
  const pb = value as Playbook | undefined;
  if (pb && typeof pb === 'object' && !('plays' in pb) && Array.isArray((pb as unknown as Play).tasks)) {
    return [{ file, message: 'the default export is a play, not a playbook: export default playbook(play({...}))' }];
  }
  if (!pb || !Array.isArray(pb.plays)) return [{ file, message: `the default export must be a playbook: ${HOW}` }];
  if (pb.plays.length === 0) return [{ file, message: `the playbook has no plays: ${HOW}` }];

  const problems: Problem[] = [];
  const add = (where: string, field: string | undefined, message: string) => problems.push({ file, where, ...(field ? { field } : {}), message });
  /** register name -> the task that registered it first */
  const registered = new Map<string, string>();

  pb.plays.forEach((p: Play, i) => {
    const where = p && typeof p.name === 'string' && p.name !== '' ? `play '${p.name}'` : `play ${i + 1}`;
    if (!p || typeof p !== 'object') return add(where, undefined, 'is not a play: use play({ name, hosts, tasks })');
    if (typeof p.name !== 'string' || p.name === '') add(where, 'name', 'a play needs a name');
    if (typeof p.hosts !== 'string' || p.hosts === '') add(where, 'hosts', 'a play needs a host pattern');
    optional(p.become, 'boolean', (m) => add(where, 'become', m));
    tagList(p.tags, (m) => add(where, 'tags', m));
    if (p.maxFailPercentage !== undefined && !(typeof p.maxFailPercentage === 'number' && p.maxFailPercentage >= 0 && p.maxFailPercentage <= 100)) {
      add(where, 'maxFailPercentage', `must be a percentage from 0 to 100, not ${json(p.maxFailPercentage)}`);
    }
    if (!Array.isArray(p.tasks)) return add(where, 'tasks', 'a play needs a list of tasks');

    const checkTask = (t: Task, j: number, kind: 'task' | 'handler') => {
      const named = t && typeof t === 'object' && typeof t.name === 'string' && t.name !== '';
      const place = `${where} > ${kind} ${named ? `'${t.name}'` : j + 1}`;
      if (!t?.call?.module?.plan) return add(place, undefined, 'is not a module call: use task(name, module({...}))');
      if (!named) add(place, 'name', `a ${kind} needs a name`);
      if (t.when !== undefined && typeof t.when !== 'function') add(place, 'when', `must be a function of the host, e.g. (ctx) => ctx.vars.tls === true, not ${json(t.when)}`);
      if (t.notify !== undefined && !(typeof t.notify === 'string' || (Array.isArray(t.notify) && t.notify.every((n) => typeof n === 'string')))) {
        add(place, 'notify', 'must be a handler name or a list of them');
      }
      if (t.register !== undefined) {
        if (typeof t.register !== 'string' || t.register === '') add(place, 'register', 'must be a name');
        else if (registered.has(t.register)) {
          // A skipped task registers its result too: of two tasks registering one name, a later
          // task always reads the last one, which is rarely what the author meant.
          add(place, 'register', `'${t.register}' is already registered by ${registered.get(t.register)}: later tasks would only see the last result, even a skipped one; use two names`);
        } else registered.set(t.register, place);
      }
      for (const flag of ['become', 'ignoreErrors', 'runOnce'] as const) optional(t[flag], 'boolean', (m) => add(place, flag, m));
      tagList(t.tags, (m) => add(place, 'tags', m));
    };
    p.tasks.forEach((t, j) => checkTask(t, j, 'task'));
    (p.handlers ?? []).forEach((t, j) => checkTask(t, j, 'handler'));

    // A notify names a handler: two of one name would leave it to chance which one runs.
    const names = new Set<string>();
    for (const h of p.handlers ?? []) {
      if (!h?.name) continue;
      if (names.has(h.name)) add(`${where} > handler '${h.name}'`, undefined, `another handler of this play is named '${h.name}': a notify could not tell them apart`);
      names.add(h.name);
    }
  });
  return problems;
}

function optional(value: unknown, type: 'boolean', report: (message: string) => void): void {
  if (value !== undefined && typeof value !== type) report(`must be true or false, not ${json(value)}`);
}

function tagList(value: unknown, report: (message: string) => void): void {
  if (value !== undefined && !(Array.isArray(value) && value.every((t) => typeof t === 'string' && t !== ''))) report("must be a list of tag names, e.g. ['tls']");
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
