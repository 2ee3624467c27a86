// What the engine knows of one host: fact values by key, carried across tasks and plays. A planned
// change writes its predicted values here (so later tasks see them, in a dry run too); a change the
// plan could not predict drops the keys it touched, so they are read again when next needed.

export class FactStore {
  readonly #values = new Map<string, unknown>();

  has(key: string): boolean {
    return this.#values.has(key);
  }

  get(key: string): unknown {
    return this.#values.get(key);
  }

  set(key: string, value: unknown): void {
    this.#values.set(key, value);
  }

  /**
   * Drops keys matching each pattern: an exact key, or a prefix ending in '*'. The base facts
   * (OS, memory) survive: no task changes them, and every later task reads them.
   */
  invalidate(patterns: readonly string[]): void {
    for (const pattern of patterns) {
      if (pattern.endsWith('*')) {
        const prefix = pattern.slice(0, -1);
        for (const key of [...this.#values.keys()]) if (key.startsWith(prefix) && key !== 'base') this.#values.delete(key);
      } else {
        this.#values.delete(pattern);
      }
    }
  }
}
