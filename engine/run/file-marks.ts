// The effects channel for files (FileEffect), kept by the engine per host for the whole run: which
// paths earlier tasks write and in which folders they write or remove files. Never facts in the
// store, since no host can report them; they follow a task's predictions all the same: forgotten
// where a real run forgets every fact ('*'), doubted in a dry run after a task whose outcome is
// unknown, reset for a task whose steps failed.
import { normalPath } from '../facts/file.ts';
import type { FilesSoFar } from '../module.ts';
import type { FileEffect } from '../plan/types.ts';

/** A mark: set or not, and in a dry run why no dry run can know it (the task that left it was unknown). */
interface Mark {
  on: boolean;
  doubt?: string;
}

type Family = 'written' | 'writtenIn';

export class FileMarks {
  readonly #marks: Record<Family, Map<string, Mark>> = { written: new Map(), writtenIn: new Map() };

  /** What a plan's effect leaves for the tasks after it; `doubt`: its outcome is unknown (dry run). */
  apply(effect: FileEffect, doubt?: string): void {
    for (const path of effect.written ?? []) this.#set('written', path, true, doubt);
    for (const dir of effect.writtenIn ?? []) this.#set('writtenIn', dir, true, doubt);
    for (const path of effect.settles?.written ?? []) this.#set('written', path, false, doubt);
    for (const dir of effect.settles?.writtenIn ?? []) this.#set('writtenIn', dir, false, doubt);
  }

  /**
   * The task's own marks are no longer known (its steps failed part way): unset, as a host would
   * report them, whatever an earlier task left there.
   */
  forget(effect: FileEffect): void {
    for (const path of [...(effect.written ?? []), ...(effect.settles?.written ?? [])]) this.#marks.written.delete(normalPath(path));
    for (const dir of [...(effect.writtenIn ?? []), ...(effect.settles?.writtenIn ?? [])]) this.#marks.writtenIn.delete(normalPath(dir));
  }

  /** A real run's task that invalidates every fact ('*'): the marks go with them. A dry run keeps them, as it keeps predictions. */
  forgetAll(): void {
    this.#marks.written.clear();
    this.#marks.writtenIn.clear();
  }

  /** The marks as a plan reads them; every doubt of a mark read goes into `doubts`. */
  reader(doubts: Set<string>): FilesSoFar {
    const read = (family: Family, path: string): boolean => {
      const mark = this.#marks[family].get(normalPath(path));
      if (mark?.doubt !== undefined) doubts.add(mark.doubt);
      return mark?.on ?? false;
    };
    return { written: (path) => read('written', path), writtenIn: (dir) => read('writtenIn', dir) };
  }

  #set(family: Family, path: string, on: boolean, doubt: string | undefined): void {
    // Unset and sure is what nothing written looks like: no entry.
    if (!on && doubt === undefined) this.#marks[family].delete(normalPath(path));
    else this.#marks[family].set(normalPath(path), doubt === undefined ? { on } : { on, doubt });
  }
}

/** True when the patterns drop every fact ('*'), the only pattern that reaches marks (they have no fact keys). */
export function forgetsEverything(patterns: readonly string[]): boolean {
  return patterns.includes('*');
}
