// Errors that are values with a place. Bad input is collected whole (every problem at once, each
// naming the file, the play, the task and the field) before any host is touched.
import { maskSecrets } from './secret.ts';

export interface Problem {
  file: string;
  /** Where in the file: "play 'Harden' > task 'sshd config'", or an inventory path. */
  where?: string;
  field?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const place = [p.file, p.where, p.field && `field '${p.field}'`].filter(Boolean).join(': ');
  return maskSecrets(`${place}: ${p.message}`);
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
