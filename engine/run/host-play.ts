// Runs one play on one host: gathers every fact the play's tasks need in one round trip (see
// play-facts.ts), then plans each task against the facts (predicted ones included), executes the
// plan unless this is a dry run, carries the predicted facts forward, and runs notified handlers at
// the end.
import { baseFacts, type BaseFacts } from '../facts/base.ts';
import type { Fact } from '../facts/types.ts';
import type { FactStore } from '../facts/store.ts';
import type { TaskOutput } from '../module.ts';
import type { Play, Task } from '../playbook/define.ts';
import { validateParams } from '../playbook/validate.ts';
import type { LocalIO, Plan } from '../plan/types.ts';
import type { EventBus, TaskStatus } from '../report/events.ts';
import { maskSecrets } from '../secret.ts';
import type { RunControl } from './control.ts';
import type { SavedPlanSession } from '../saved-plan/session.ts';
import { confirmLogin, touchesSshd } from './confirm-login.ts';
import { executeSteps, StepFailed } from './execute.ts';
import { pendingHandlersFact, PendingList, type PendingHandler } from './pending-handlers.ts';
import { isFlush } from '../playbook/flush.ts';
import { gatherFacts } from './gather-facts.ts';
import { isConnectionLost, markHostDown, type HostState } from './host-state.ts';
import type { PreparedTasks } from './preflight.ts';
import { hostContext, resolveParams } from './resolve.ts';
import type { TagFilter } from './tags.ts';
import { factsBeforePlay, factsFrom, missingFacts, playBecomes, selectedTasks } from './play-facts.ts';
import { hostVars } from './vars.ts';
import { overlayFacts, previewInto } from './package-effects.ts';
import { carryForward, decide, executedStatus, forgetTouched, planTask } from './task-core.ts';

export interface PlayEnv {
  bus: EventBus;
  check: boolean;
  play: Play;
  playIndex: number;
  prepared: PreparedTasks;
  extraVars: Record<string, unknown>;
  filter: TagFilter;
  forceHandlers: boolean;
  baseDir: string;
  /** The host that runs runOnce tasks in this batch. */
  firstHost: string;
  /** Runs a command on another host (transfers between hosts go through the controller). */
  execOn: LocalIO['execOn'];
  /** The fact store of another host, its missing facts read first (facts with `host`). */
  factsOn(host: string, facts: Fact[]): Promise<FactStore>;
  /** Deadline of each command (a task's own `timeout` overrides it). */
  taskTimeoutMs: number;
  /** A signal stops the run: no task starts after it. */
  control: RunControl;
  /** The playbook's file name: notified handlers are written down on the host under it. */
  playbookName: string;
  /** Making a saved plan, or holding hosts to one (engine plan / engine apply). */
  saved?: SavedPlanSession;
}

interface Resolved {
  params: Record<string, unknown>;
  prep: unknown;
}

export async function runPlayOnHost(env: PlayEnv, state: HostState): Promise<void> {
  const { play } = env;
  const link = state.link!;
  const vars = hostVars(state.host, play, env.extraVars);
  const playBecome = playBecomes(play);
  const selected = selectedTasks(env);
  // One round trip: base facts plus every fact of every task whose params are known now (the runner
  // may have read them already, with the host's lock).
  const wanted = factsBeforePlay(env, state);
  // Paths the play's tasks read: a dry run's package preview brings back their packaged content.
  const playPaths = [...new Set(wanted.filter((f) => f.key.startsWith('file:') && f.host === undefined).map((f) => f.key.slice('file:'.length)))];
  if (!(await gather(wanted, playBecome, env.taskTimeoutMs))) return;
  if (playBecome && !state.pending) state.pending = new PendingList(state.facts.get(pendingHandlersFact.key) as PendingHandler[]);

  const handlerNames = new Set((play.handlers ?? []).map((h) => h.name));
  const notified = new Set<string>((state.pending?.of(env.playbookName, play.name) ?? []).filter((h) => handlerNames.has(h)));
  /** The last task reported unknown announced changes (its handlers may run: they are notified). */
  let unknownChanges = false;
  for (const { task, index } of selected) {
    if (stopped()) return;
    if (isFlush(task)) {
      const started = performance.now();
      if (!(await runHandlers())) return;
      state.tally.ok++;
      emitResult(task.name, false, 'ok', [], undefined, started);
      continue;
    }
    const status = await runTask(task, index, false);
    if (status === 'changed' || (status === 'unknown' && unknownChanges)) await notify([task.notify ?? []].flat());
    if (state.unreachable || state.failed) break;
  }
  if (state.unreachable || (state.failed && !env.forceHandlers)) return;
  await runHandlers();

  /** A changed task's handlers: to run at the end (or the next flush), and written down on the host first. */
  async function notify(names: string[]): Promise<void> {
    if (names.length === 0) return;
    for (const name of names) notified.add(name);
    if (env.check || !state.pending) return;
    try {
      await state.pending.add(link, names.map((handler) => ({ playbook: env.playbookName, play: play.name, handler })));
    } catch (err) {
      env.bus.emit({ type: 'message', host: state.host.name, text: `${(err as Error).message}: if this run stops before its handlers, they will not be run later` });
    }
  }

  /** Runs the notified handlers, in definition order; false when the host is gone or stopped. */
  async function runHandlers(): Promise<boolean> {
    for (const h of play.handlers ?? []) {
      if (!notified.has(h.name)) continue;
      if (stopped()) return false;
      const status = await runTask(h, `h:${h.name}`, true);
      if (state.unreachable) return false;
      if (status === 'failed') continue;
      notified.delete(h.name);
      if (!env.check) await state.pending?.done(link, [{ playbook: env.playbookName, play: play.name, handler: h.name }]).catch(() => undefined);
    }
    return true;
  }

  /** A signal stopped the run: the host is left unfinished, for the retry file. */
  function stopped(): boolean {
    if (env.control.stopping) state.unfinished = true;
    return env.control.stopping;
  }

  /** Reads the facts not yet known in one exec. False when the host became unreachable or failed. */
  async function gather(facts: Fact[], become: boolean, timeoutMs: number): Promise<boolean> {
    const missing = missingFacts(facts, state);
    if (missing.length === 0) return true;
    try {
      overlayFacts(state.facts, await gatherFacts(link, missing, become, timeoutMs), env.check ? state.previews : []);
      return true;
    } catch (err) {
      hostError(err, 'gather facts');
      return false;
    }
  }

  function hostError(err: unknown, taskName: string): void {
    // Cut off by the run's own abort (a second signal): unfinished, not the host's fault.
    if (env.control.stage === 'aborted') state.unfinished = true;
    emitResult(taskName, false, markHostDown(state, err), [], (err as Error).message, 0);
  }

  function emitResult(taskName: string, handler: boolean, status: TaskStatus, changes: Plan['changes'], msg: string | undefined, started: number): void {
    env.bus.emit({
      type: 'task.result',
      host: state.host.name,
      play: play.name,
      task: taskName,
      handler,
      status,
      changes,
      msg: msg === undefined ? undefined : maskSecrets(msg),
      ms: started ? Math.round(performance.now() - started) : 0,
      check: env.check,
    });
  }

  /** Runs one task; its status ('changed' also when a dry run says it would change). */
  async function runTask(task: Task, key: number | string, handler: boolean): Promise<TaskStatus> {
    const started = performance.now();
    const become = task.become ?? Boolean(play.become);
    const timeoutMs = task.timeout !== undefined ? task.timeout * 1000 : env.taskTimeoutMs;
    // A reboot drops the base facts (a new kernel): read them again before the next task.
    if (!state.facts.has('base') && !(await gather([baseFacts], playBecome, timeoutMs))) return 'failed';
    const base = state.facts.get('base') as BaseFacts;
    const ctx = hostContext(state.host.name, state.host.groups, vars, base, state.registered);
    const finish = (status: TaskStatus, changes: Plan['changes'] = [], msg?: string, output: Record<string, unknown> = {}) => {
      if (status === 'failed' && task.ignoreErrors) state.tally.ignored++;
      else if (status !== 'unreachable') state.tally[status]++;
      if (status === 'failed' && !task.ignoreErrors) state.failed = true;
      if (task.register) state.registered[task.register] = { status: status === 'unreachable' ? 'failed' : status, changed: status === 'changed', output } satisfies TaskOutput;
      emitResult(task.name, handler, status, changes, task.ignoreErrors && status === 'failed' ? `${msg ?? ''} (ignored)` : msg, started);
      return status;
    };
    /** Dry run: the outcome depends on what no dry run can know; not converged for `engine check`. */
    const unknown = (changes: Plan['changes'], why: string) => {
      state.changed = true;
      unknownChanges = changes.length > 0;
      return finish('unknown', changes, why);
    };
    unknownChanges = false;

    /** Dry run: what the packages this task installs ship, for the later tasks (see engine/packages/). */
    const previewPackages = async (names: string[], update: boolean, asRoot: boolean, ms: number): Promise<boolean> => {
      try {
        for (const m of await previewInto(state.previews, link, { names, update, paths: playPaths }, asRoot, ms)) env.bus.emit({ type: 'message', host: state.host.name, ...m });
        return true;
      } catch (err) {
        hostError(err, task.name);
        return false;
      }
    };

    try {
      if (task.when && !task.when(ctx)) return finish('skipped', [], 'condition is false');
    } catch (err) {
      return finish('failed', [], `when: ${(err as Error).message}`);
    }
    if (task.runOnce && env.firstHost !== state.host.name) return finish('skipped', [], `runs once, on ${env.firstHost}`);

    let resolved: Resolved;
    try {
      resolved = await resolveTask(task, key, ctx);
    } catch (err) {
      return finish('failed', [], (err as Error).message);
    }
    const module = task.call.module;
    let facts: Fact[];
    try {
      facts = module.facts(resolved.params as never, resolved.prep as never);
    } catch (err) {
      return finish('failed', [], (err as Error).message);
    }
    // Facts dropped by an earlier task (a command, a package install: every fact is read again)
    // are read for this task and, in the same exec, for the tasks after it, as at the start of the
    // play: what a later task changes first is predicted over them, or dropped again.
    const missing = missingFacts(facts, state).length > 0;
    const ahead = missing && !handler && typeof key === 'number' && become === playBecome ? factsFrom(env, state.host.name, key + 1) : [];
    if (!(await gather([...facts, ...ahead], become, timeoutMs))) return 'failed';
    const stores = new Map<string, FactStore>([[state.host.name, state.facts]]);
    try {
      for (const other of new Set(facts.map((f) => f.host).filter((h): h is string => h !== undefined && h !== state.host.name))) {
        stores.set(other, await env.factsOn(other, facts.filter((f) => f.host === other)));
      }
    } catch (err) {
      return finish('failed', [], `reading facts on another host: ${(err as Error).message}`);
    }

    const writer = become || state.host.user === 'root' ? { user: 'root', group: 'root' } : { user: state.host.user, group: null };
    const planned = planTask({
      module,
      params: resolved.params,
      prep: resolved.prep,
      ctx: { host: state.host.name, base, sshPort: state.host.port, address: state.host.address, login: { user: state.host.user, keys: link.loginKeys }, writer },
      stores,
      files: state.files,
      packages: state.packages,
      check: env.check,
    });
    if (planned.kind === 'failed') return finish('failed', [], planned.msg);
    if (planned.kind === 'unknown') return unknown([], planned.reason);
    const { plan, read, doubts } = planned;

    if (env.saved) {
      const held = env.saved.planned(state.host.name, { id: `${env.playIndex}:${key}`, play: play.name, task: task.name, handler, plan, read });
      if (held.refuse) return finish('failed', [], held.refuse);
      if (held.note) env.bus.emit({ type: 'message', host: state.host.name, text: held.note });
      // Steps a real run would execute (a dry run executes none) change what later tasks read.
      if (env.check && plan.steps.length > 0) env.saved.markUncertain(state.host.name, plan);
    }
    if (plan.message !== undefined) env.bus.emit({ type: 'message', host: state.host.name, text: maskSecrets(plan.message) });
    if (env.check && plan.packages && plan.packages.install.length > 0 && !(await previewPackages(plan.packages.install, plan.packages.update, become, timeoutMs))) return 'failed';
    const verdict = decide(plan, doubts, env.check);
    if (verdict.kind === 'unknown') {
      // Its predictions are no surer than what they were made from.
      carryForward(state, plan, env.check, verdict.doubt);
      return unknown(plan.changes, verdict.reason);
    }
    if (verdict.kind === 'ok') return finish('ok', [], plan.msg, plan.output ?? {});
    const announced = verdict.kind === 'would-change' || verdict.announced;
    if (announced) state.changed = true;
    let output: Record<string, unknown> = { ...(plan.output ?? {}) };
    let reportedChange = false;
    if (verdict.kind === 'execute') {
      try {
        const result = await executeSteps(plan.steps, link, become, { execOn: env.execOn }, { timeoutMs });
        if (result.last) output = { ...output, ...result.last };
        reportedChange = result.reportedChange;
        state.loginJournal.push(...result.previous);
        // A step that restarted sshd: the engine must still get in, or it undoes what it did.
        const sshd = plan.steps.filter(touchesSshd);
        if (sshd.length > 0) await confirmLogin(link, sshd, state.loginJournal, become);
      } catch (err) {
        // Whatever the steps touched before failing is no longer known: read it again when needed.
        forgetTouched(state, plan);
        if (isConnectionLost(err)) {
          hostError(err, task.name);
          return 'unreachable';
        }
        const res = err instanceof StepFailed ? err.result : undefined;
        if (res) output = { ...output, rc: res.code, stdout: res.stdout.toString(), stderr: res.stderr.toString() };
        return finish('failed', plan.changes, (err as Error).message, output);
      }
    }
    carryForward(state, plan, env.check);
    if (executedStatus(announced, reportedChange) === 'ok') return finish('ok', [], plan.msg, output);
    return finish('changed', plan.changes, plan.msg, output);
  }

  async function resolveTask(task: Task, key: number | string, ctx: ReturnType<typeof hostContext>): Promise<Resolved> {
    const prepared = env.prepared.get(env.playIndex, key, state.host.name);
    if (prepared?.kind === 'ready') return { params: prepared.params, prep: prepared.prep };
    const params = resolveParams(task.call.params, ctx);
    const checked = validateParams(task.call.module.params, params);
    if (checked.errors.length > 0) throw new Error(checked.errors.map((e) => `field '${e.field}': ${e.message}`).join('; '));
    const prep = await task.call.module.prepare?.(checked.value as never, { host: state.host.name, vars, baseDir: env.baseDir });
    return { params: checked.value, prep };
  }
}

