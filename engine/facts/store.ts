// What the engine knows of one host: fact values by key, carried across tasks and plays. A planned
// change writes its predicted values here (so later tasks see them, in a dry run too); a change the
// plan could not predict drops the keys it touched, so they are read again when next needed.

export class FactStore {
  readonly #values = new Map<string, unknown>();
  /** Keys whose value a plan predicted rather than the host reported. */
  readonly #predicted = new Set<string>();
  /** The first value the host reported for each key in this run: the state before any task. */
  readonly #initial = new Map<string, unknown>();
  /**
   * Dry run only: patterns of keys an earlier task changes in ways its plan cannot predict (a
   * command, a package install), and the keys predicted for sure since. What the store holds for an
   * unsure key is the host as it is now, not as the real run will find it.
   */
  readonly #unsure: string[] = [];
  readonly #sure = new Set<string>();
  /**
   * Dry run only: keys whose value no dry run can know, with why (a path a pending package's
   * maintainer scripts may create). A task that plans on one is reported unknown, and what it
   * predicts inherits the doubt.
   */
  readonly #doubts = new Map<string, string>();

  has(key: string): boolean {
    return this.#values.has(key);
  }

  get(key: string): unknown {
    return this.#values.get(key);
  }

  /** A value read from the host. */
  set(key: string, value: unknown): void {
    this.#values.set(key, value);
    this.#predicted.delete(key);
    this.#doubts.delete(key);
    if (!this.#initial.has(key)) this.#initial.set(key, value);
  }

  /**
   * What the host reported for this key when the run first read it. A module may compare with it
   * to report the net change of the run (a unit a package install started is still a change the
   * dry run announced), never to decide what to execute.
   */
  initial(key: string): unknown {
    return this.#initial.get(key);
  }

  /**
   * A value a plan predicts; a `guess` (a dry run's partial prediction) stays unsure; `doubt` says
   * why no dry run can know it (unset: it is known).
   */
  predict(key: string, value: unknown, opts: { guess?: boolean; doubt?: string } = {}): void {
    this.#values.set(key, value);
    this.#predicted.add(key);
    if (opts.guess) this.#sure.delete(key);
    else this.#sure.add(key);
    if (opts.doubt === undefined) this.#doubts.delete(key);
    else this.#doubts.set(key, opts.doubt);
  }

  /** Why this key's value cannot be known in a dry run; undefined when it can. */
  doubt(key: string): string | undefined {
    return this.#doubts.get(key);
  }

  /**
   * True in a dry run when an earlier task may change this key in a way no plan predicted: a plan
   * must not refuse on its value (a folder a command will make), only a real run, which reads it again, may.
   */
  uncertain(key: string): boolean {
    return !this.#sure.has(key) && this.#unsure.some((p) => matches(p, key));
  }

  /**
   * Drops keys matching each pattern: an exact key, or a prefix ending in '*'. The base facts
   * (OS, memory) survive a prefix: only a task that names 'base' (a reboot) drops them.
   * In a dry run (`keepPredicted`) predicted values survive too: reading them back from the host
   * would forget the user or file an earlier task is going to create.
   */
  invalidate(patterns: readonly string[], opts: { keepPredicted?: boolean } = {}): void {
    if (opts.keepPredicted) {
      this.#unsure.push(...patterns);
      for (const key of [...this.#sure]) if (patterns.some((p) => matches(p, key))) this.#sure.delete(key);
    }
    const drop = (key: string, named = false) => {
      if ((key === 'base' && !named) || (opts.keepPredicted && this.#predicted.has(key))) return;
      this.#values.delete(key);
      this.#predicted.delete(key);
      this.#doubts.delete(key);
    };
    for (const pattern of patterns) {
      if (pattern.endsWith('*')) {
        const prefix = pattern.slice(0, -1);
        for (const key of [...this.#values.keys()]) if (key.startsWith(prefix)) drop(key);
      } else {
        drop(pattern, true);
      }
    }
  }
}

function matches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern;
}
