// The pure core of running a task, apart from the I/O around it (host-play.ts): planning it against
// the facts the engine holds, deciding what its plan means in a dry or a real run, and what the
// plan leaves in the fact store and the effects channels for the tasks after it. Nothing here touches a host, so each part
// is tested with tables (test/unit/task-core.test.ts).
import type { Fact } from '../facts/types.ts';
import type { FactStore } from '../facts/store.ts';
import type { TObject } from '@sinclair/typebox';
import type { FactReader, ModuleDef, PlanContext } from '../module.ts';
import type { Plan } from '../plan/types.ts';
import { packagesView, withPackageEffect, type PackagesKept } from './package-effects.ts';
import { forgetsEverything, type FileMarks } from './file-marks.ts';

/** What the engine carries from task to task on one host for later plans: its facts and the effects channels. */
export interface Carried {
  facts: FactStore;
  files: FileMarks;
  packages: PackagesKept;
}

export interface PlanInput {
  module: ModuleDef<TObject, unknown>;
  params: unknown;
  prep: unknown;
  /** What the module's plan is given, but the facts (read from `stores`) and the effects channels. */
  ctx: Omit<PlanContext, 'facts' | 'files' | 'packages'>;
  /** This host's store, and the stores of other hosts whose facts the task declared (onHost). */
  stores: ReadonlyMap<string, FactStore>;
  /** This host's effects channels: what earlier tasks write, what they do to packages. */
  files: FileMarks;
  packages: PackagesKept;
  check: boolean;
}

export type Planned =
  | {
      kind: 'planned';
      plan: Plan;
      /** Every fact the plan read, as its `stable` form: what a saved plan holds a host to. */
      read: Map<string, unknown>;
      /** Why facts (or marks of the files channel) the plan read cannot be known in a dry run, and the plan's own `unknown`. */
      doubts: Set<string>;
    }
  | { kind: 'failed'; msg: string }
  /** A dry run's plan failed on facts no dry run can know: not a failure, an unknown outcome. */
  | { kind: 'unknown'; reason: string };

/** The module's plan against the facts held; a module may read only the facts it declared. */
export function planTask(input: PlanInput): Planned {
  const { module, ctx, stores } = input;
  const storeOf = (fact: Fact) => stores.get(fact.host ?? ctx.host);
  const read = new Map<string, unknown>();
  const doubts = new Set<string>();
  const get = <T>(fact: Fact<T>): T => {
    const store = storeOf(fact);
    if (!store?.has(fact.key)) throw new Error(`module ${module.name} read fact ${fact.key}${fact.host ? ` on ${fact.host}` : ''} without declaring it`);
    const value = store.get(fact.key) as T;
    read.set(fact.host && fact.host !== ctx.host ? `${fact.host}/${fact.key}` : fact.key, fact.stable ? fact.stable(value) : value);
    const doubt = store.doubt(fact.key);
    if (doubt !== undefined) doubts.add(doubt);
    return value;
  };
  const facts: FactReader = {
    get,
    doubt: <T>(fact: Fact<T>) => storeOf(fact)?.doubt(fact.key),
    initial: <T>(fact: Fact<T>) => storeOf(fact)?.initial(fact.key) as T | undefined,
    uncertain: <T>(fact: Fact<T>) => storeOf(fact)?.uncertain(fact.key) ?? false,
  };
  let plan: Plan;
  try {
    plan = module.plan(input.params as never, { ...ctx, facts, files: input.files.reader(doubts), packages: packagesView(input.packages, doubts) }, input.prep as never);
  } catch (err) {
    const msg = (err as Error).message;
    // Planned on what no dry run can know (a file a package's scripts may make): not a failure.
    if (input.check && doubts.size > 0) return { kind: 'unknown', reason: `${[...doubts].join('; ')} (planned on the host as it is now: ${msg})` };
    return { kind: 'failed', msg };
  }
  if (input.check && plan.unknown !== undefined) doubts.add(plan.unknown);
  return { kind: 'planned', plan, read, doubts };
}

export type Verdict =
  /** Dry run: the outcome depends on what no dry run can know; `doubt` goes with its predictions. */
  | { kind: 'unknown'; doubt: string; reason: string }
  /** Nothing to change (or a dry run of steps that announce no change). */
  | { kind: 'ok' }
  /** Dry run: the changes a real run will make, none executed. */
  | { kind: 'would-change' }
  /** Real run: execute the steps; `announced` when the plan names changes. */
  | { kind: 'execute'; announced: boolean };

/** What a plan means: report it as it is, or execute it. */
export function decide(plan: Plan, doubts: ReadonlySet<string>, check: boolean): Verdict {
  if (check && doubts.size > 0) {
    const doubt = [...doubts].join('; ');
    return { kind: 'unknown', doubt, reason: plan.msg ? `${doubt} (${plan.msg})` : doubt };
  }
  const announced = plan.changes.length > 0;
  if (!announced && (plan.steps.length === 0 || check)) return { kind: 'ok' };
  if (check) return { kind: 'would-change' };
  return { kind: 'execute', announced };
}

/** After executing: a step may report a change the plan did not announce (a command's `changed`). */
export function executedStatus(announced: boolean, reportedChange: boolean): 'ok' | 'changed' {
  return announced || reportedChange ? 'changed' : 'ok';
}

/**
 * What the plan leaves for the tasks after it: the facts it drops, the ones it predicts (in a dry
 * run, with `doubt` when they were planned on what no dry run can know; a real run reads its
 * guesses again instead), what it writes (the files channel, dropped and doubted as predictions
 * are) and the packages it installs or removes (what later plans get as PlanContext.packages).
 */
export function carryForward(host: Carried, plan: Plan, check: boolean, doubt?: string): void {
  const { facts: store } = host;
  store.invalidate(plan.invalidates ?? [], { keepPredicted: check });
  // A dry run keeps predictions through an invalidation, the marks with them.
  if (!check && forgetsEverything(plan.invalidates ?? [])) host.files.forgetAll();
  for (const [k, v] of Object.entries(plan.after ?? {})) store.predict(k, v, { doubt });
  if (plan.files) host.files.apply(plan.files, doubt);
  if (check) for (const [k, v] of Object.entries(plan.guesses ?? {})) store.predict(k, v, { guess: true, doubt });
  else store.invalidate(Object.keys(plan.guesses ?? {}));
  if (plan.packages) host.packages = withPackageEffect(host.packages, plan.packages, check, doubt);
}

/** A real run's steps failed part way: whatever they touched is no longer known. */
export function forgetTouched(host: Omit<Carried, 'packages'>, plan: Plan): void {
  host.facts.invalidate([...Object.keys(plan.after ?? {}), ...(plan.invalidates ?? [])]);
  if (plan.files) host.files.forget(plan.files);
  if (forgetsEverything(plan.invalidates ?? [])) host.files.forgetAll();
}
