// The typed helpers a playbook file is written with. A playbook is data: plays holding tasks, each
// task a module call with typed params. Nothing here runs anything.
import type { HostContext, ModuleCall } from '../module.ts';

export interface TaskOptions {
  /** Run the task only on hosts where this holds. */
  when?: (ctx: HostContext) => boolean;
  /** Handler names to run at the end of the play when this task changes something. */
  notify?: string | string[];
  tags?: string[];
  /** Run as root through sudo (overrides the play's setting). */
  become?: boolean;
  /** A failure is reported but the host carries on. */
  ignoreErrors?: boolean;
  /** Keep this task's result for later tasks as ctx.registered[NAME]. */
  register?: string;
  /** Run on the first host of each batch only. */
  runOnce?: boolean;
  /** Seconds each command of this task may run before it is killed and the task fails (default: --task-timeout). */
  timeout?: number;
}

export interface Task extends TaskOptions {
  name: string;
  call: ModuleCall;
}

export type Serial = number | string | Array<number | string>;

export interface Play {
  name: string;
  /** Host pattern: names, groups, globs, !exclusions, &intersections. */
  hosts: string;
  vars?: Record<string, unknown>;
  become?: boolean;
  /**
   * Run the play batch by batch: a count, a percentage ('25%') or a list ([1, '25%']); or a function
   * of the run's extra vars (-e), so a playbook can take its batch size from the command line.
   */
  serial?: Serial | ((extraVars: Record<string, unknown>) => Serial | undefined);
  /** Stop the rollout when more than this percentage of a batch fails. Default: stop only when a whole batch fails. */
  maxFailPercentage?: number;
  tags?: string[];
  tasks: Task[];
  handlers?: Task[];
}

export interface PlayInput extends Omit<Play, 'tasks' | 'handlers'> {
  tasks: Array<Task | ModuleCall>;
  handlers?: Task[];
}

export interface Playbook {
  plays: Play[];
}

/** A named task: `task('Install nginx', apt({ name: 'nginx' }), { notify: 'restart nginx' })`. */
export function task(name: string, call: ModuleCall, options: TaskOptions = {}): Task {
  return { ...options, name, call };
}

/** A handler is a task that runs at the end of the play when notified by its name. */
export const handler = task;

export function play(input: PlayInput): Play {
  // Not a list: kept for the shape check to report with the play's name.
  return { ...input, tasks: Array.isArray(input.tasks) ? input.tasks.map(asTask) : input.tasks, handlers: input.handlers ?? [] };
}

export function playbook(...plays: Play[]): Playbook {
  return { plays };
}

/** A param function that reads a variable: `dest: fromVar('dataDir')`. */
export function fromVar<T = string>(name: string): (ctx: HostContext) => T {
  return (ctx) => {
    // The host is named by whoever reports it (preflight folds one message for many hosts).
    if (!(name in ctx.vars)) throw new Error(`variable '${name}' is not defined`);
    return ctx.vars[name] as T;
  };
}

/** Anything else is kept as it is, for the shape check to name (a playbook is not type-checked when it runs). */
function asTask(item: Task | ModuleCall): Task {
  if (item === null || typeof item !== 'object' || 'call' in item) return item as Task;
  return { name: item.module?.name, call: item };
}

export { flushHandlers } from './flush.ts';
