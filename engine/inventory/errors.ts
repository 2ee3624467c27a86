// Inventory problems are values that name the file and the field; all of them are thrown at once.
import { shownPath } from '../errors.ts';
import { maskSecrets } from '../secret.ts';

export interface InventoryProblem {
  file: string;
  /** Where in the file, e.g. `hosts.relay1.port`, `line 12` or `line 12:5`; empty when the whole file is at fault. */
  path: string;
  message: string;
}

/** `FILE: PATH: message`; a line (and column) is written the compilers' way, `FILE:12:5: message`. */
export function formatProblem(p: InventoryProblem): string {
  const file = shownPath(p.file);
  const line = /^line (\d+(?::\d+)?)$/.exec(p.path);
  if (line) return maskSecrets(`${file}:${line[1]}: ${p.message}`);
  return maskSecrets(p.path ? `${file}: ${p.path}: ${p.message}` : `${file}: ${p.message}`);
}

export class InventoryError extends Error {
  readonly problems: readonly InventoryProblem[];
  constructor(problems: readonly InventoryProblem[]) {
    const n = problems.length;
    super(`${n} inventory problem${n === 1 ? '' : 's'}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'InventoryError';
    this.problems = problems;
  }
}

/** Collects problems for one file while it is read; `throwIfAny` ends the load when there are some. */
export class Problems {
  readonly list: InventoryProblem[] = [];
  constructor(readonly file: string) {}
  add(path: string, message: string): void {
    this.list.push({ file: this.file, path, message });
  }
  get any(): boolean {
    return this.list.length > 0;
  }
  /** Throws every problem at once; problems that name a line come in line order. */
  throwIfAny(): void {
    if (!this.any) return;
    const line = (p: InventoryProblem) => Number(/^line (\d+)/.exec(p.path)?.[1] ?? 0);
    throw new InventoryError([...this.list].sort((a, b) => line(a) - line(b)));
  }
}
