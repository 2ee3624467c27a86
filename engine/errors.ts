// Errors that are values with a place. Bad input is collected whole (every problem at once, each
// naming the file, the play, the task and the field) before any host is touched.
import { isAbsolute, relative } from 'node:path';
import { maskSecrets } from './secret.ts';

export interface Problem {
  file: string;
  /** Where in the file by position, for syntax errors: printed as FILE:LINE:COLUMN like a compiler's. */
  line?: number;
  column?: number;
  /** Where in the file: "play 'Harden' > task 'sshd config'", or an inventory path. */
  where?: string;
  field?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const at = p.line === undefined ? p.file : `${p.file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
  const place = [at, p.where, p.field && `field '${p.field}'`].filter(Boolean).join(': ');
  return maskSecrets(`${place}: ${p.message}`);
}

/**
 * A path as a message shows it: relative to the working folder when it is inside it (as the user
 * typed it, most of the time), absolute otherwise.
 */
export function shownPath(path: string, cwd = process.cwd()): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly problems: Problem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the input:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
  }
}

/** Exit statuses, documented in the README. */
export const EXIT = {
  ok: 0,
  internal: 1,
  changesPending: 2,
  failedHosts: 3,
  unreachableHosts: 4,
  badInput: 5,
  /** Stopped by SIGINT (Ctrl-C) or SIGTERM before its end. */
  interrupted: 130,
} as const;
