// Loads a playbook file (TypeScript, see bundle/import-user-module.ts) and checks the shape of its default export, so a
// file that exports the wrong thing fails with a message naming the file and the place.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { importUserModule } from '../bundle/import-user-module.ts';
import { InputError, type Problem } from '../errors.ts';
import type { Play, Playbook, Task } from './define.ts';

export async function loadPlaybook(path: string): Promise<Playbook> {
  const file = resolve(path);
  if (!existsSync(file)) throw new InputError([{ file: path, message: 'no such playbook file' }]);
  let mod: { default?: unknown };
  try {
    mod = (await importUserModule(file)) as { default?: unknown };
  } catch (err) {
    throw new InputError([{ file: path, message: `could not be loaded: ${(err as Error).message}` }]);
  }
  const problems = checkShape(path, mod.default);
  if (problems.length > 0) throw new InputError(problems);
  return mod.default as Playbook;
}

function checkShape(file: string, value: unknown): Problem[] {
  const problems: Problem[] = [];
  const pb = value as Playbook | undefined;
  if (!pb || !Array.isArray(pb.plays)) return [{ file, message: 'the default export must be a playbook: export default playbook(play({...}), ...)' }];
  pb.plays.forEach((p: Play, i) => {
    const where = `play ${i + 1}${p?.name ? ` '${p.name}'` : ''}`;
    if (!p || typeof p.name !== 'string' || p.name === '') problems.push({ file, where, field: 'name', message: 'a play needs a name' });
    if (!p || typeof p.hosts !== 'string' || p.hosts === '') problems.push({ file, where, field: 'hosts', message: 'a play needs a host pattern' });
    if (!p || !Array.isArray(p.tasks)) {
      problems.push({ file, where, field: 'tasks', message: 'a play needs a list of tasks' });
      return;
    }
    const checkTask = (t: Task, j: number, kind: string) => {
      if (!t?.call?.module?.plan) problems.push({ file, where: `${where} > ${kind} ${j + 1}`, message: 'is not a module call: use task(name, module({...}))' });
    };
    p.tasks.forEach((t, j) => checkTask(t, j, 'task'));
    (p.handlers ?? []).forEach((t, j) => checkTask(t, j, 'handler'));
    const names = new Set<string>();
    for (const h of p.handlers ?? []) {
      if (names.has(h.name)) problems.push({ file, where, field: 'handlers', message: `two handlers are named '${h.name}'` });
      names.add(h.name);
    }
  });
  return problems;
}
