// Everything that can be checked before any host is touched: module params against their schemas
// (static ones once per task, host-dependent ones per host), and controller-side preparation
// (local files, templates). Every problem is collected, then reported at once as an InputError.
import { thrownAt } from '../bundle/thrown-at.ts';
import { InputError, shownPath, type Problem } from '../errors.ts';
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import { PrepareError, type HostContext } from '../module.ts';
import type { Play, Playbook, Task } from '../playbook/define.ts';
import { validateParams } from '../playbook/validate.ts';
import { hostContext, NeedsFacts } from './resolve.ts';
import { serialProblem } from './serial.ts';
import { taskSelected, type TagFilter } from './tags.ts';
import { hostVars } from './vars.ts';

/** A task made ready for one host, or marked for resolution at run time. */
export type PreparedTask = { kind: 'ready'; params: Record<string, unknown>; prep: unknown } | { kind: 'deferred' };

export interface PreflightInput {
  file: string;
  baseDir: string;
  playbook: Playbook;
  inventory: Inventory;
  hostsOf: (play: Play) => InventoryHost[];
  extraVars: Record<string, unknown>;
  filter: TagFilter;
}

export class PreparedTasks {
  readonly #map = new Map<string, PreparedTask>();
  key(play: number, task: number | string, host: string): string {
    return `${play}\0${task}\0${host}`;
  }
  set(play: number, task: number | string, host: string, value: PreparedTask): void {
    this.#map.set(this.key(play, task, host), value);
  }
  get(play: number, task: number | string, host: string): PreparedTask | undefined {
    return this.#map.get(this.key(play, task, host));
  }
}

export function where(play: Play, task: Task, handler = false): string {
  return `play '${play.name}' > ${handler ? 'handler' : 'task'} '${task.name}'`;
}

export async function preflight(input: PreflightInput): Promise<PreparedTasks> {
  const problems = new ProblemSet();
  const prepared = new PreparedTasks();
  for (const [pi, play] of input.playbook.plays.entries()) {
    const hosts = input.hostsOf(play);
    checkNotifyTargets(input.file, play, problems);
    checkSerial(input, play, problems);
    const entries: Array<[number | string, Task, boolean]> = [
      ...play.tasks.map((t, i) => [i, t, false] as [number, Task, boolean]),
      ...(play.handlers ?? []).map((t) => [`h:${t.name}`, t, true] as [string, Task, boolean]),
    ];
    for (const [ti, task, isHandler] of entries) {
      if (!isHandler && !taskSelected(play, task, input.filter)) continue;
      const place = where(play, task, isHandler);
      const schema = task.call.module.params;
      const staticCheck = validateParams(schema, task.call.params);
      for (const e of staticCheck.errors) problems.add({ file: input.file, where: place, field: e.field, message: e.message });
      if (staticCheck.errors.length > 0) continue;
      for (const host of hosts) {
        const vars = hostVars(host, play, input.extraVars);
        const ctx = hostContext(host.name, host.groups, vars, undefined, undefined);
        // A task its `when` already rules out for this host is not checked for it (a prebuilt-binary
        // URL need not be set where binaries come from the build machine). A `when` that needs facts
        // is decided at run time, and the params with it.
        try {
          if (task.when && !task.when(ctx)) continue;
        } catch (err) {
          if (!(err instanceof NeedsFacts)) problems.add({ file: input.file, where: place, field: 'when', message: threw(err) }, host.name);
          prepared.set(pi, ti, host.name, { kind: 'deferred' });
          continue;
        }
        const resolved = resolveEach(task.call.params, ctx);
        if (resolved.kind === 'deferred') {
          prepared.set(pi, ti, host.name, { kind: 'deferred' });
          continue;
        }
        if (resolved.kind === 'failed') {
          problems.add({ file: input.file, where: place, field: resolved.field, message: `its function ${threw(resolved.err)}` }, host.name);
          continue;
        }
        const params = resolved.params;
        const checked = validateParams(schema, params);
        if (checked.errors.length > 0) {
          for (const e of checked.errors) problems.add({ file: input.file, where: place, field: e.field, message: e.message }, host.name);
          continue;
        }
        try {
          const prep = await task.call.module.prepare?.(checked.value as never, { host: host.name, vars, baseDir: input.baseDir });
          prepared.set(pi, ti, host.name, { kind: 'ready', params: checked.value, prep });
        } catch (err) {
          if (!(err instanceof PrepareError)) throw err;
          problems.add({ file: input.file, where: place, field: err.field, message: err.message }, host.name);
        }
      }
    }
  }
  if (problems.size > 0) throw new InputError(problems.list());
  return prepared;
}

function checkNotifyTargets(file: string, play: Play, problems: ProblemSet): void {
  const handlers = new Set((play.handlers ?? []).map((h) => h.name));
  for (const task of play.tasks) {
    for (const name of [task.notify ?? []].flat()) {
      if (!handlers.has(name)) problems.add({ file, where: where(play, task), field: 'notify', message: `no handler named '${name}' in this play` });
    }
  }
}

/** The play's serial, worked out from -e when it is a function, must give batch sizes. */
function checkSerial(input: PreflightInput, play: Play, problems: ProblemSet): void {
  const where = `play '${play.name}'`;
  let serial: unknown;
  try {
    serial = typeof play.serial === 'function' ? play.serial(input.extraVars) : play.serial;
  } catch (err) {
    problems.add({ file: input.file, where, field: 'serial', message: `its function ${threw(err)}` });
    return;
  }
  const problem = serialProblem(serial);
  if (problem) problems.add({ file: input.file, where, field: 'serial', message: problem });
}

/**
 * Like resolveParams, one param at a time, so a function that throws is named by its field. A
 * function that reads facts defers the task to run time.
 */
function resolveEach(
  params: Record<string, unknown>,
  ctx: HostContext,
): { kind: 'ready'; params: Record<string, unknown> } | { kind: 'deferred' } | { kind: 'failed'; field: string; err: unknown } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v !== 'function') {
      out[k] = v;
      continue;
    }
    try {
      out[k] = (v as (c: HostContext) => unknown)(ctx);
    } catch (err) {
      return err instanceof NeedsFacts ? { kind: 'deferred' } : { kind: 'failed', field: k, err };
    }
  }
  return { kind: 'ready', params: out };
}

/** "threw: TypeError: ... at playbook.ts:12:30": what the user's function threw, and where. */
function threw(err: unknown): string {
  const e = err as Error;
  const text = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(err);
  const at = thrownAt(err);
  return `threw: ${text}${at ? ` at ${shownPath(at.file)}:${at.line}:${at.column}` : ''}`;
}

/** Collects problems, folding the same problem on many hosts into one line naming them. */
class ProblemSet {
  readonly #byKey = new Map<string, { problem: Problem; hosts: string[] }>();
  get size(): number {
    return this.#byKey.size;
  }
  add(problem: Problem, host?: string): void {
    const key = `${problem.where}\0${problem.field}\0${problem.message}`;
    const entry = this.#byKey.get(key) ?? { problem, hosts: [] };
    if (host) entry.hosts.push(host);
    this.#byKey.set(key, entry);
  }
  list(): Problem[] {
    return [...this.#byKey.values()].map(({ problem, hosts }) =>
      hosts.length === 0 ? problem : { ...problem, message: `${problem.message} (host${hosts.length > 1 ? 's' : ''} ${hosts.join(', ')})` },
    );
  }
}
