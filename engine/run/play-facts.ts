// What a play reads from a host before its first task, in one exec: the base facts, every fact of
// every selected task whose params are known before the play runs, and (for a play that becomes
// root) the notifications an earlier run wrote down. Pure: the runner reads these with the host's
// lock (one sudo for both, see host-lock.ts) and the play finds them in its store.
import { baseFacts } from '../facts/base.ts';
import type { Fact } from '../facts/types.ts';
import type { Play } from '../playbook/define.ts';
import type { HostState } from './host-state.ts';
import { pendingHandlersFact } from './pending-handlers.ts';
import type { PreparedTasks } from './preflight.ts';
import { taskSelected, type TagFilter } from './tags.ts';

export interface PlayFactsInput {
  play: Play;
  playIndex: number;
  prepared: PreparedTasks;
  filter: TagFilter;
}

/** Whether any of the play's tasks runs as root (its facts are then read as root too). */
export function playBecomes(play: Play): boolean {
  return Boolean(play.become) || play.tasks.some((t) => t.become);
}

/** The selected tasks of the play, with their index in it. */
export function selectedTasks(env: PlayFactsInput) {
  return env.play.tasks.map((task, index) => ({ task, index })).filter(({ task }) => taskSelected(env.play, task, env.filter));
}

/** The facts of the selected tasks from `from` on whose params are known before the play runs. */
export function factsFrom(env: PlayFactsInput, host: string, from: number): Fact[] {
  const out: Fact[] = [];
  for (const { task, index } of selectedTasks(env)) {
    if (index < from) continue;
    const prepared = env.prepared.get(env.playIndex, index, host);
    if (prepared?.kind !== 'ready') continue;
    try {
      out.push(...task.call.module.facts(prepared.params as never, prepared.prep as never));
    } catch {
      // The task reports this itself when it runs.
    }
  }
  return out;
}

/** Everything the play reads up front (before missingFacts filters out what the host's store has). */
export function factsBeforePlay(env: PlayFactsInput, state: HostState): Fact[] {
  const wanted: Fact[] = [...(state.facts.has('base') ? [] : [baseFacts]), ...factsFrom(env, state.host.name, 0)];
  if (playBecomes(env.play) && !state.pending) wanted.push(pendingHandlersFact);
  return wanted;
}

/** The facts of this host not in its store yet, each once (facts of other hosts are read there). */
export function missingFacts(facts: readonly Fact[], state: HostState): Fact[] {
  const seen = new Map<string, Fact>();
  for (const f of facts) {
    if ((f.host !== undefined && f.host !== state.host.name) || state.facts.has(f.key)) continue;
    if (!seen.has(f.key)) seen.set(f.key, f);
  }
  return [...seen.values()];
}
