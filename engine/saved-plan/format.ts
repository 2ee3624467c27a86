// The saved plan file (`engine plan -o FILE`): what a dry run planned for each host, task by task,
// as data a reviewer can read and `engine apply` can hold the host to. Versioned; an engine that
// cannot read a file's version refuses it. Secrets are never in it: a secret value is written as
// {"secret": true} and resolved again, from the playbook and inventory, when the plan is applied.
import type { Change, Step } from '../plan/types.ts';
import { InputError } from '../errors.ts';
import { isSecret, maskDeep } from '../secret.ts';

export const PLAN_FORMAT = 'shipshape-plan';
/**
 * 2: the facts of a task no longer hold written:PATH, written-in:DIR and apt:planned, which
 * are effects earlier tasks leave, not facts (FileEffect, PackageEffect): a version 1 plan would be refused
 * on them as facts "no longer read". Nothing of the effects is saved: apply plans every task again,
 * in order, so the effects are those of the tasks before it in that same run, themselves held to the plan.
 */
export const PLAN_VERSION = 2;

export interface PlanFile {
  format: typeof PLAN_FORMAT;
  version: number;
  created: string;
  /** Absolute paths, so apply and show work from any folder. */
  playbook: string;
  inventory: string;
  extraVars: Record<string, unknown>;
  limit?: string;
  /** Per host, every task and handler that was planned, in the order they were. */
  hosts: Record<string, PlannedTask[]>;
}

export interface PlannedTask {
  /** Play index and task index (or `h:NAME` for a handler): the task's identity in the playbook. */
  id: string;
  play: string;
  task: string;
  handler: boolean;
  status: 'changed' | 'ok';
  changes: Change[];
  steps: unknown[];
  /** Keyed digests of the facts the task was planned from (see digest.ts). */
  facts: Record<string, string>;
  /**
   * Facts it read that an earlier task changes in ways no plan can know (a command ran, a build
   * made files): applying re-plans this task, and says so, instead of holding it to these steps.
   */
  uncertain?: string[];
}

const SECRET = { secret: true } as const;

/** A step as it goes in the file: secrets replaced by what they are, buffers as base64. */
export function stepData(step: Step): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(step)) {
    if (v === undefined) continue;
    if (isSecret(v)) out[k] = SECRET;
    else if (Buffer.isBuffer(v)) out[k] = { base64: v.toString('base64') };
    else out[k] = v;
  }
  // The sha256 a rewrite expects of a secret file is a digest of that secret: not in the file.
  if (step.kind === 'write' && isSecret(step.content)) delete out.replaces;
  return maskDeep(out);
}

/** The plan in a file, or bad input (exit 5) naming the file: not JSON, not a plan, another version. */
export function parsePlanFile(text: string, path: string): PlanFile {
  const bad = (message: string) => new InputError([{ file: path, message }]);
  let data: PlanFile;
  try {
    data = JSON.parse(text) as PlanFile;
  } catch (err) {
    throw bad(`not a plan file (${(err as Error).message})`);
  }
  if (data?.format !== PLAN_FORMAT) throw bad('not a shipshape plan file');
  if (data.version !== PLAN_VERSION) throw bad(`a plan file of version ${data.version}; this engine reads version ${PLAN_VERSION} only: make the plan again with this engine`);
  return data;
}
