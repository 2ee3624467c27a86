// Predictions (Plan.after, Plan.guesses) built from the fact they are about: the key comes from the
// fact, so a module never spells one (a typo would silently predict a fact nobody reads), and the
// value is checked against the fact's type, so a prediction has the shape a later task's read
// expects. The plan keeps its plain Record shape: the engine, the fact store and saved plans are
// unchanged.
import type { Fact } from '../facts/types.ts';

export interface Prediction {
  readonly key: string;
  readonly value: unknown;
}

/** The fact as it will be. NoInfer: T is the fact's, the value is checked against it, not widened to it. */
export function predict<T>(fact: Fact<T>, value: NoInfer<T>): Prediction {
  return { key: fact.key, value };
}

/** The record a plan returns; later entries win (as object spread), undefined and false are skipped (`cond && predict(...)`). */
export function predictions(...ps: (Prediction | undefined | false)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of ps) if (p) out[p.key] = p.value;
  return out;
}

/** For plans that decide their predictions in steps (a later set of the same fact wins). */
export class Predictions {
  readonly #values = new Map<string, unknown>();

  set<T>(fact: Fact<T>, value: NoInfer<T>): this {
    this.#values.set(fact.key, value);
    return this;
  }

  /** Set only when nothing is predicted for the fact yet. */
  setDefault<T>(fact: Fact<T>, value: NoInfer<T>): this {
    if (!this.#values.has(fact.key)) this.#values.set(fact.key, value);
    return this;
  }

  get<T>(fact: Fact<T>): T | undefined {
    return this.#values.get(fact.key) as T | undefined;
  }

  /** Takes in another plan's predictions (a helper's record), which win over those set so far. */
  merge(record: Record<string, unknown> | undefined): this {
    for (const [key, value] of Object.entries(record ?? {})) this.#values.set(key, value);
    return this;
  }

  record(): Record<string, unknown> {
    return Object.fromEntries(this.#values);
  }
}
