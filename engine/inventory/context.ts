// What a parser needs besides the text: where the file is (for relative paths), HOME, the environment, and the problem list.
import { dirname } from 'node:path';
import { Problems } from './errors.ts';
import { resolveInventoryPath } from './paths.ts';

export interface ParseContext {
  file: string;
  problems: Problems;
  env: Record<string, string | undefined>;
  /** Resolves a path from the inventory against its folder and HOME. */
  path(p: string): string;
}

export function parseContext(file: string, env: Record<string, string | undefined>, home: string): ParseContext {
  const dir = dirname(file);
  return { file, problems: new Problems(file), env, path: (p) => resolveInventoryPath(p, dir, home) };
}
