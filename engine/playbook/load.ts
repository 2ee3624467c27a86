// Loads a playbook file (TypeScript, see bundle/import-user-module.ts) and checks the shape of its
// default export (shape.ts), so a file that does not parse, throws or exports the wrong thing fails
// with a message naming the file and the line, or the play and the task.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { importUserModule, UserModuleError } from '../bundle/import-user-module.ts';
import { thrownAt } from '../bundle/thrown-at.ts';
import { InputError, shownPath, type Problem } from '../errors.ts';
import type { Playbook } from './define.ts';
import { checkShape } from './shape.ts';

export async function loadPlaybook(path: string): Promise<Playbook> {
  const file = resolve(path);
  if (!existsSync(file)) throw new InputError([{ file: path, message: 'no such playbook file' }]);
  if (!statSync(file).isFile()) throw new InputError([{ file: path, message: 'is not a file' }]);
  let mod: { default?: unknown };
  try {
    mod = (await importUserModule(file)) as { default?: unknown };
  } catch (err) {
    throw new InputError(loadProblems(path, err));
  }
  const problems = checkShape(path, mod.default, 'default' in mod);
  if (problems.length > 0) throw new InputError(problems);
  return mod.default as Playbook;
}

/** A syntax error or an import that resolves to nothing, at its place; else where the file threw. */
function loadProblems(path: string, err: unknown): Problem[] {
  if (err instanceof UserModuleError) {
    return err.problems.map((p) => (p.file ? { file: shownPath(p.file), line: p.line, column: p.column, message: p.text } : { file: path, message: p.text }));
  }
  const message = (err as Error)?.message ?? String(err);
  const at = thrownAt(err);
  if (at) return [{ file: shownPath(at.file), line: at.line, column: at.column, message: `threw while the playbook loaded: ${message}` }];
  return [{ file: path, message: `could not be loaded: ${message}` }];
}
