// How a module is written. A module declares a params schema (TypeBox, so the same object is the
// TypeScript type and the ajv schema), the facts it needs, and a pure plan(). It never opens a
// connection and never knows whether the run is a dry run: the engine decides whether to execute.
import type { Static, TObject } from '@sinclair/typebox';
import type { Fact } from './facts/types.ts';
import type { Plan } from './plan/types.ts';
import type { BaseFacts } from './facts/base.ts';
import type { PublicKeyId } from './connection/types.ts';
import type { PlannedPackages } from './facts/apt-planned.ts';

/** What a param function and a `when` see of the host. */
export interface HostContext {
  host: string;
  groups: string[];
  vars: Record<string, unknown>;
  /** Base facts (OS, memory, architecture...), gathered with the play's first round trip. */
  facts: BaseFacts;
  /** Results of earlier tasks that set `register`. */
  registered: Record<string, TaskOutput>;
}

export interface TaskOutput {
  /** unknown: a dry run could not know the outcome (see TaskStatus). */
  status: 'ok' | 'changed' | 'failed' | 'skipped' | 'unknown';
  changed: boolean;
  output: Record<string, unknown>;
}

/** Controller-side context for prepare(): reading local files, rendering templates. */
export interface PrepareContext {
  host: string;
  vars: Record<string, unknown>;
  /** Folder of the playbook file: relative local paths resolve against it. */
  baseDir: string;
}

/** Reads the facts a module declared. */
export interface FactReader {
  get<T>(fact: Fact<T>): T;
  /** The value the host reported when this run first read the fact (before any task changed it). */
  initial<T>(fact: Fact<T>): T | undefined;
  /**
   * Dry run: why this fact's value cannot be known (see FactStore.doubt), without making the plan
   * depend on it (a restart restarts whatever the unit's state). A plan that reads a doubted fact
   * with get() is reported unknown.
   */
  doubt?<T>(fact: Fact<T>): string | undefined;
  /** In a dry run: an earlier task (a command, a package) may change this fact in a way no plan predicted. */
  uncertain?<T>(fact: Fact<T>): boolean;
}

export interface PlanContext {
  host: string;
  base: BaseFacts;
  facts: FactReader;
  /** The SSH port the engine reaches this host on (the ufw lockout guard keeps it open). */
  sshPort: number;
  /** The address the engine reaches this host on (the inventory's; behind a jump host the controller may not reach it directly). */
  address?: string;
  /** Who the engine logs in as, and the public keys it may have used (authorizedKey's lockout guard keeps one of them). */
  login?: { user: string; keys: readonly PublicKeyId[] };
  /**
   * Who the steps run as, so a plan can predict the owner of a path it creates: root:root when the
   * task becomes root, the login user otherwise (its group unknown: null).
   */
  writer?: { user: string; group: string | null };
  /** What earlier tasks of this run do to the host's packages (kept by the engine, never read from the host). */
  packages: PackagesSoFar;
  /** What earlier tasks of this run write (kept by the engine, never read from the host: see FileEffect). */
  files: FilesSoFar;
}

/**
 * The engine's effects channel for files, as a plan reads it. In a dry run, a mark left by a task
 * whose outcome is unknown makes the plan that reads it unknown too (as a doubted fact does).
 */
export interface FilesSoFar {
  /** An earlier task of this run writes new content to this path (and no later one settled it). */
  written(path: string): boolean;
  /** An earlier task of this run writes or removes a file directly in this folder. */
  writtenIn(dir: string): boolean;
}

/** The engine's effects channel for packages: what the apt tasks before this one install or change. */
export interface PackagesSoFar {
  /** Packages earlier tasks install anew: a user, group or unit they bring is not on a fresh host yet. */
  installs: readonly string[];
  /** Dry run only: every package earlier tasks install, upgrade or remove (a real run reads the host instead). */
  changes: readonly string[];
  /**
   * Dry run only: the versions earlier apt tasks leave and what their removals leave for autoremove
   * (a real run reads apt-get -s again after each change: nothing). A plan that reads it after an
   * apt task whose outcome is unknown is unknown too.
   */
  planned(): PlannedPackages;
}

/** The parts of a plan's context that say what the host will hold: its facts and the packages going on it. */
export type PlanView = Pick<PlanContext, 'facts' | 'packages'>;

export interface ModuleDef<S extends TObject = TObject, Prep = undefined> {
  name: string;
  /** One line for `engine modules`. */
  summary: string;
  /** Longer reference text, with an example. */
  doc?: string;
  params: S;
  /** Runs on the controller before any host is touched; may fail with a PrepareError. */
  prepare?(params: Static<S>, ctx: PrepareContext): Promise<Prep> | Prep;
  facts(params: Static<S>, prep: Prep): Fact[];
  plan(params: Static<S>, ctx: PlanContext, prep: Prep): Plan;
}

/** A param value, or a function of the host that gives it (resolved per host). */
export type Param<T> = T | ((ctx: HostContext) => T);
export type ParamsInput<P> = { [K in keyof P]: Param<P[K]> };

export interface ModuleCall {
  module: ModuleDef<TObject, unknown>;
  params: Record<string, unknown>;
}

export type ModuleFn<S extends TObject> = ((params: ParamsInput<Static<S>>) => ModuleCall) & { def: ModuleDef<S, any> };

export function defineModule<S extends TObject, Prep = undefined>(def: ModuleDef<S, Prep>): ModuleFn<S> {
  const fn = (params: ParamsInput<Static<S>>): ModuleCall => ({
    module: def as unknown as ModuleDef<TObject, unknown>,
    params: params as Record<string, unknown>,
  });
  return Object.assign(fn, { def });
}

/** A failure in prepare(): a missing local file, a template variable that does not exist. */
export class PrepareError extends Error {
  override name = 'PrepareError';
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}
