// Test helpers: a FactReader from a map of fact values, fact builders, and `planWith`, which runs a
// module the way the engine does (validate params with defaults, prepare, facts, plan) against
// fake facts. Reading a fact the module did not declare fails, as it does in the engine.
import type { BaseFacts } from '../../../engine/facts/base.ts';
import { createHash } from 'node:crypto';
import type { TObject } from '@sinclair/typebox';
import { EMPTY_BASE_FACTS } from '../../../engine/facts/base.ts';
import { ABSENT_FILE, fileKey, type FileFact } from '../../../engine/facts/file.ts';
import type { Fact } from '../../../engine/facts/types.ts';
import { groupKey, userKey, type GroupFact, type UserFact } from '../../../engine/facts/user.ts';
import type { FactReader, ModuleDef, ModuleFn, PlanContext } from '../../../engine/module.ts';
import type { FileEffect, Plan } from '../../../engine/plan/types.ts';
import { FileMarks } from '../../../engine/run/file-marks.ts';
import { NO_PACKAGES, packagesView, withPackageEffect, type PackagesKept } from '../../../engine/run/package-effects.ts';
import { validateParams } from '../../../engine/playbook/validate.ts';

/** `initial` holds what the host reported at the start of the run, when it differs from `values`. */
export function fakeFacts(values: Record<string, unknown>, declared?: readonly Fact[], initial: Record<string, unknown> = {}): FactReader {
  const allowed = declared ? new Set(declared.map((f) => f.key)) : undefined;
  return {
    get<T>(fact: Fact<T>): T {
      if (allowed && !allowed.has(fact.key)) throw new Error(`test: read fact ${fact.key} without declaring it`);
      // The folders above a path the test describes exist, root's and 0755, unless the test says otherwise.
      if (!(fact.key in values) && fact.key.startsWith('file:') && Object.keys(values).some((k) => k.startsWith(`${fact.key === 'file:/' ? 'file:' : fact.key}/`))) {
        return { ...ABSENT_FILE, exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096 } as T;
      }
      if (!(fact.key in values)) throw new Error(`test: no value for fact ${fact.key}`);
      return values[fact.key] as T;
    },
    initial<T>(fact: Fact<T>): T | undefined {
      return (fact.key in initial ? initial[fact.key] : values[fact.key]) as T | undefined;
    },
  };
}

export const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** A regular file with this content. */
export function aFile(path: string, content: string, attrs: Partial<FileFact> = {}): Record<string, FileFact> {
  return {
    [fileKey(path)]: {
      exists: true,
      type: 'file',
      mode: '0644',
      owner: 'root',
      group: 'root',
      size: Buffer.byteLength(content),
      sha256: sha256(content),
      linkTarget: null,
      content,
      ...attrs,
    },
  };
}

export function aDir(path: string, attrs: Partial<FileFact> = {}): Record<string, FileFact> {
  return { [fileKey(path)]: { ...ABSENT_FILE, exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096, ...attrs } };
}

export function aLink(path: string, target: string, attrs: Partial<FileFact> = {}): Record<string, FileFact> {
  return { [fileKey(path)]: { ...ABSENT_FILE, exists: true, type: 'link', mode: '0777', owner: 'root', group: 'root', size: target.length, linkTarget: target, ...attrs } };
}

export function nothingAt(path: string): Record<string, FileFact> {
  return { [fileKey(path)]: { ...ABSENT_FILE } };
}

export function aUser(name: string, exists = true, uid = 1000): Record<string, UserFact> {
  return { [userKey(name)]: exists ? { exists, name, uid, gid: uid, home: `/home/${name}`, shell: '/bin/sh' } : { exists, name, uid: null, gid: null, home: null, shell: null } };
}

export function aGroup(name: string, exists = true, gid = 1000): Record<string, GroupFact> {
  return { [groupKey(name)]: exists ? { exists, name, gid, members: [] } : { exists, name, gid: null, members: [] } };
}

export interface PlanOptions {
  vars?: Record<string, unknown>;
  baseDir?: string;
  host?: string;
  /** Base facts (OS, memory) for modules that read them. */
  base?: BaseFacts;
  /** The SSH port the engine is connected through. */
  sshPort?: number;
  /** Who the engine logs in as (authorizedKey's lockout guard). */
  login?: PlanContext['login'];
  /** Who the steps run as (the engine: root:root for a task that becomes root). */
  writer?: PlanContext['writer'];
  /** What earlier apt tasks install or change (default: nothing; packagesAfter for what earlier plans leave). */
  packages?: Partial<PackagesKept>;
  /** What earlier tasks write (the files channel, as their effects left it; default: nothing). */
  files?: FileEffect;
}

/** The packages channel of a dry run after these earlier plans, as the engine keeps it. */
export function packagesAfter(...plans: Plan[]): PackagesKept {
  return plans.reduce((so, p) => (p.packages ? withPackageEffect(so, p.packages, true) : so), NO_PACKAGES);
}

/** The files channel after earlier tasks' effects, as the engine keeps it. */
export function filesAfter(...effects: FileEffect[]): FileMarks {
  const marks = new FileMarks();
  for (const effect of effects) marks.apply(effect);
  return marks;
}

/** Validates (defaults filled), prepares, declares facts and plans, as the engine does for one host. */
export async function planWith<S extends TObject>(mod: ModuleFn<S>, params: Record<string, unknown>, facts: Record<string, unknown>, opts: PlanOptions = {}): Promise<Plan> {
  const def = mod.def as unknown as ModuleDef<TObject, unknown>;
  const checked = validateParams(def.params, params);
  if (checked.errors.length > 0) throw new Error(`invalid params: ${checked.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
  const host = opts.host ?? 'web1';
  const prep = await def.prepare?.(checked.value as never, { host, vars: opts.vars ?? {}, baseDir: opts.baseDir ?? '/nonexistent' });
  const declared = def.facts(checked.value as never, prep as never);
  return def.plan(checked.value as never, { host, base: opts.base ?? EMPTY_BASE_FACTS, facts: fakeFacts(facts, declared), sshPort: opts.sshPort ?? 22, login: opts.login, writer: opts.writer, packages: packagesView({ ...NO_PACKAGES, ...opts.packages }, new Set()), files: filesAfter(opts.files ?? {}).reader(new Set()) }, prep as never);
}

/** The steps of a plan with Secrets and Buffers made comparable. */
export function stepsOf(plan: Plan): unknown[] {
  return [...plan.steps];
}

/** What a plan predicts for a fact (Plan.after), typed as the fact. */
export function predicted<T>(plan: Pick<Plan, 'after'>, fact: Fact<T>): T | undefined {
  return plan.after?.[fact.key] as T | undefined;
}

/** What a plan guesses for a fact in a dry run (Plan.guesses), typed as the fact. */
export function guessed<T>(plan: Pick<Plan, 'guesses'>, fact: Fact<T>): T | undefined {
  return plan.guesses?.[fact.key] as T | undefined;
}
