// Runs a playbook over an inventory: plays in order, each play's hosts in rolling batches, the
// hosts of a batch in parallel (p-queue, --forks), tasks on one host in order. Reports through
// the event bus only; returns the exit status.
import { basename } from 'node:path';
import PQueue from 'p-queue';
import { EXIT } from '../errors.ts';
import type { FactStore } from '../facts/store.ts';
import type { Fact } from '../facts/types.ts';
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import type { LocalIO } from '../plan/types.ts';
import type { Play, Playbook } from '../playbook/define.ts';
import type { EventBus, HostTally } from '../report/events.ts';
import { openLink, type ConnectSettings } from './connect-host.ts';
import type { RunControl } from './control.ts';
import { acquireHostLock, FactsUnderLockError, holderText, type HostLock } from './host-lock.ts';
import { overlayFacts } from './package-effects.ts';
import { factsBeforePlay, missingFacts, playBecomes } from './play-facts.ts';
import { writeRetryFile } from './retry-file.ts';
import type { SavedPlanSession } from '../saved-plan/session.ts';
import { gatherFacts } from './gather-facts.ts';
import { runPlayOnHost } from './host-play.ts';
import { markHostDown, newHostState, type HostState } from './host-state.ts';
import { preflight } from './preflight.ts';
import { toBatches } from './serial.ts';
import type { TagFilter } from './tags.ts';

export interface RunOptions extends ConnectSettings {
  playbookFile: string;
  baseDir: string;
  playbook: Playbook;
  inventory: Inventory;
  /** Hosts the run may touch (after --limit). */
  hosts: InventoryHost[];
  /** Selects a play's hosts from the inventory, within `hosts`. */
  hostsOf: (play: Play) => InventoryHost[];
  check: boolean;
  forks: number;
  extraVars: Record<string, unknown>;
  filter: TagFilter;
  forceHandlers: boolean;
  /** `engine check`: exit 2 when changes are pending. */
  exitOnPending: boolean;
  /** Seconds each command may run (--task-timeout); a task's own `timeout` overrides it. */
  taskTimeoutS: number;
  /** Seconds to wait for another run's lock on a host (--lock-timeout). */
  lockTimeoutS: number;
  /** Signals: stop gently, then abort. */
  control: RunControl;
  /** Where the hosts to retry go (--retry-file); default: a file in the temp folder named in the recap. */
  retryFile?: string;
  /** engine plan -o / engine apply (see engine/saved-plan/). */
  saved?: SavedPlanSession;
}

export interface RunSummary {
  exitCode: number;
  states: Map<string, HostState>;
}

export async function runPlaybook(opts: RunOptions, bus: EventBus): Promise<RunSummary> {
  const started = performance.now();
  const prepared = await preflight({
    file: opts.playbookFile,
    baseDir: opts.baseDir,
    playbook: opts.playbook,
    inventory: opts.inventory,
    hostsOf: opts.hostsOf,
    extraVars: opts.extraVars,
    filter: opts.filter,
  });
  const states = new Map(opts.hosts.map((h) => [h.name, newHostState(h)]));
  const startedAt = new Date();
  bus.emit({ type: 'run.start', playbook: opts.playbookFile, inventory: opts.inventory.file, check: opts.check, hosts: opts.hosts.map((h) => h.name) });
  opts.control.onKill(() => {
    for (const s of states.values()) s.link?.killRunning();
  });
  opts.control.onAbort(() => {
    for (const s of states.values()) void s.link?.close().catch(() => {});
  });

  const connecting = new Map<string, Promise<boolean>>();
  const ensureLink = (state: HostState): Promise<boolean> => {
    let pending = connecting.get(state.host.name);
    if (!pending) {
      pending = openLink(state.host, opts.inventory, opts, bus).then(
        (link) => {
          state.link = link;
          return true;
        },
        (err: Error) => {
          state.unreachable = true;
          state.tally.unreachable++;
          bus.emit({ type: 'host.unreachable', host: state.host.name, error: err.message });
          return false;
        },
      );
      connecting.set(state.host.name, pending);
    }
    return pending;
  };
  const execOn: LocalIO['execOn'] = async (name, command, o) => {
    const state = states.get(name) ?? newHostState(hostNamed(opts.inventory, name));
    states.set(name, state);
    if (!(await ensureLink(state))) throw new Error(`host ${name} is unreachable`);
    return state.link!.exec(command, { stdin: o?.stdin, timeoutMs: o?.timeoutMs, become: true, ...(o?.logOutput === false ? { logOutput: false } : {}) });
  };

  const reading = new Map<string, Promise<void>>();
  const factsOn = async (name: string, facts: Fact[]): Promise<FactStore> => {
    const state = states.get(name) ?? newHostState(hostNamed(opts.inventory, name));
    states.set(name, state);
    if (!(await ensureLink(state))) throw new Error(`host ${name} is unreachable`);
    // Hosts of a batch ask for the same fact at once: read it once.
    const missing = facts.filter((f) => !state.facts.has(f.key));
    const pending = missing.filter((f) => reading.has(`${name}\0${f.key}`)).map((f) => reading.get(`${name}\0${f.key}`));
    const fresh = missing.filter((f) => !reading.has(`${name}\0${f.key}`));
    if (fresh.length > 0) {
      const read = (async () => {
        for (const [key, value] of await gatherFacts(state.link!, fresh, true)) state.facts.set(key, value);
      })();
      for (const f of fresh) reading.set(`${name}\0${f.key}`, read);
      pending.push(read.finally(() => fresh.forEach((f) => reading.delete(`${name}\0${f.key}`))));
    }
    await Promise.all(pending);
    return state.facts;
  };

  // One run per host at a time: taken before the host's first play, held until the run ends. Only
  // for hosts the run becomes root on (the lock lives in /run/shipshape, root's). When that first
  // play runs as root, the same command reads its facts under the lock: one sudo for both.
  const locks = new Map<string, Promise<HostLock | undefined>>();
  const becomesRoot = (host: string) => opts.playbook.plays.some((p) => opts.hostsOf(p).some((h) => h.name === host) && playBecomes(p));
  const ensureLock = async (state: HostState, play: Play, playIndex: number): Promise<boolean> => {
    if (!becomesRoot(state.host.name)) return true;
    let pending = locks.get(state.host.name);
    if (!pending) {
      const request = { exclusive: !opts.check, waitS: opts.lockTimeoutS, holder: holderText(opts.playbookFile, opts.check, startedAt) };
      const facts = playBecomes(play) ? missingFacts(factsBeforePlay({ play, playIndex, prepared, filter: opts.filter }, state), state) : [];
      pending = acquireHostLock(state.link!, request, { facts, timeoutMs: opts.taskTimeoutS * 1000 }).then(
        (lock) => {
          if (lock.facts) overlayFacts(state.facts, lock.facts, opts.check ? state.previews : []);
          return lock;
        },
        (err: Error) => {
          // A lock refused belongs to no play; facts that could not be read, to the play that read them.
          if (err instanceof FactsUnderLockError) hostFailed(state, play.name, 'gather facts', err.error);
          else hostFailed(state, '', 'host lock', err);
          return undefined;
        },
      );
      locks.set(state.host.name, pending);
    }
    return (await pending) !== undefined;
  };
  const hostFailed = (state: HostState, play: string, task: string, err: Error) => {
    const status = markHostDown(state, err);
    bus.emit({ type: 'task.result', host: state.host.name, play, task, handler: false, status, changes: [], msg: err.message, ms: 0, check: opts.check });
  };

  const queue = new PQueue({ concurrency: Math.max(1, opts.forks) });
  let stoppedRun = false;
  let stoppedAt = opts.playbook.plays.length;
  try {
    for (const [playIndex, play] of opts.playbook.plays.entries()) {
      const playHosts = opts.hostsOf(play).map((h) => states.get(h.name)!).filter((s) => !s.failed && !s.unreachable);
      bus.emit({ type: 'play.start', play: play.name, hosts: playHosts.map((s) => s.host.name) });
      let stopped: string | undefined;
      const batches = toBatches(playHosts, typeof play.serial === 'function' ? play.serial(opts.extraVars) : play.serial);
      for (const [batchIndex, batch] of batches.entries()) {
        if (batches.length > 1) bus.emit({ type: 'batch.start', play: play.name, batch: batchIndex + 1, hosts: batch.map((s) => s.host.name) });
        await Promise.all(
          batch.map((state) =>
            queue.add(async () => {
              if (opts.control.stopping) return void (state.unfinished = true);
              if (!(await ensureLink(state))) return;
              if (!(await ensureLock(state, play, playIndex))) return;
              await runPlayOnHost(
                {
                  bus, check: opts.check, play, playIndex, prepared, extraVars: opts.extraVars, filter: opts.filter, forceHandlers: opts.forceHandlers,
                  baseDir: opts.baseDir, firstHost: batch[0].host.name, execOn, factsOn, taskTimeoutMs: opts.taskTimeoutS * 1000, control: opts.control,
                  playbookName: basename(opts.playbookFile),
                  ...(opts.saved ? { saved: opts.saved } : {}),
                },
                state,
              );
              if (!state.failed && !state.unreachable && !state.unfinished) state.completed.add(playIndex);
            }),
          ),
        );
        const down = batch.filter((s) => s.failed || s.unreachable).length;
        const limit = play.maxFailPercentage;
        if (batches.length > 1 && down > 0 && (limit === undefined ? down === batch.length : (down / batch.length) * 100 > limit)) {
          stopped = `${down} of ${batch.length} host${batch.length > 1 ? 's' : ''} in batch ${batchIndex + 1} failed${limit === undefined ? '' : ` (more than ${limit}%)`}: the rollout stops here`;
          break;
        }
      }
      if (!stopped && opts.control.stopping) stopped = `stopped by ${opts.control.signal}: no new task was started`;
      bus.emit({ type: 'play.end', play: play.name, stopped });
      if (stopped) {
        stoppedRun = true;
        stoppedAt = playIndex;
        break;
      }
    }
  } finally {
    // Locks let go first (each host ends its holding command), at most 5 s, then the connections close.
    await Promise.race([Promise.all([...locks.values()].map((lock) => lock.then((l) => l?.release()))), new Promise((r) => setTimeout(r, 5000).unref())]);
    await Promise.all([...states.values()].map((s) => s.link?.close().catch(() => {})));
  }
  // Hosts a stopped rollout or a signal never got to (in that play or a later one) are still to do.
  for (const [playIndex, play] of opts.playbook.plays.entries()) {
    if (playIndex < stoppedAt) continue;
    for (const h of opts.hostsOf(play)) {
      const s = states.get(h.name)!;
      if (!s.failed && !s.unreachable && !s.completed.has(playIndex)) s.unfinished = true;
    }
  }

  const recap: Record<string, HostTally> = {};
  const roundTrips: Record<string, number> = {};
  for (const [name, s] of states) {
    recap[name] = s.tally;
    roundTrips[name] = s.link?.stats.execs ?? 0;
  }
  const all = [...states.values()];
  const unfinished = all.filter((s) => s.unfinished && !s.failed && !s.unreachable).map((s) => s.host.name);
  const retry = all.filter((s) => s.failed || s.unreachable || s.unfinished).map((s) => s.host.name);
  const retryFile = retry.length > 0 ? writeRetryFile(retry, opts.playbookFile, startedAt, opts.retryFile) : undefined;
  bus.emit({ type: 'recap', hosts: recap, roundTrips, unfinished, ...(retryFile ? { retryFile } : {}) });
  let exitCode: number = EXIT.ok;
  if (opts.control.stopping) exitCode = EXIT.interrupted;
  else if (all.some((s) => s.failed) || stoppedRun) exitCode = EXIT.failedHosts;
  else if (all.some((s) => s.unreachable)) exitCode = EXIT.unreachableHosts;
  else if (opts.exitOnPending && all.some((s) => s.changed)) exitCode = EXIT.changesPending;
  bus.emit({ type: 'run.end', exitCode, ms: Math.round(performance.now() - started) });
  return { exitCode, states };
}

function hostNamed(inventory: Inventory, name: string): InventoryHost {
  const host = inventory.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host named '${name}' in the inventory`);
  return host;
}
