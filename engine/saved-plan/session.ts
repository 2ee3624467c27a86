// A run that makes a saved plan, or holds hosts to one. Making: every task planned on a host is
// recorded, with keyed digests of the facts it read. Applying: the run plans each task again,
// against the host as it is now, and executes it only if it is the saved task: same facts, same
// steps. A host that changed since is refused (named, with the fact that changed) and the others
// go on. A task planned from a fact an earlier task changes in ways no plan knows (a command ran,
// a build made files) is re-planned and said to be, rather than refused.
import type { Plan } from '../plan/types.ts';
import { factDigest } from './digest.ts';
import { stepData, type PlanFile, type PlannedTask } from './format.ts';

export type SavedPlanMode = { kind: 'record'; file: PlanFile } | { kind: 'apply'; file: PlanFile };

export interface PlannedNow {
  id: string;
  play: string;
  task: string;
  handler: boolean;
  plan: Plan;
  /** The facts the task read, by key (`HOST/KEY` for another host's). */
  read: Map<string, unknown>;
}

export interface Verdict {
  /** Set when the host must not go on: why. */
  refuse?: string;
  /** Something to tell the operator (a task re-planned). */
  note?: string;
}

export class SavedPlanSession {
  readonly mode: SavedPlanMode;
  /** Per host, patterns of fact keys an earlier task made uncertain (see markUncertain). */
  readonly #uncertain = new Map<string, string[]>();
  readonly #seen = new Map<string, Set<string>>();

  constructor(mode: SavedPlanMode) {
    this.mode = mode;
  }

  get file(): PlanFile {
    return this.mode.file;
  }

  /** A dry run's task predicts `guesses` or invalidates keys: what later tasks read of them is not known for sure. */
  markUncertain(host: string, plan: Plan): void {
    const keys = [...(plan.invalidates ?? []), ...Object.keys(plan.guesses ?? {})];
    if (keys.length === 0) return;
    this.#uncertain.set(host, [...(this.#uncertain.get(host) ?? []), ...keys]);
  }

  planned(host: string, now: PlannedNow): Verdict {
    const facts: Record<string, string> = {};
    for (const [k, v] of [...now.read].sort(([a], [b]) => a.localeCompare(b))) facts[k] = factDigest(v);
    const steps = now.plan.steps.map(stepData);
    const status = now.plan.changes.length > 0 ? 'changed' : 'ok';
    if (this.mode.kind === 'record') {
      const patterns = this.#uncertain.get(host) ?? [];
      const uncertain = [...now.read.keys()].filter((k) => patterns.some((p) => (p.endsWith('*') ? k.startsWith(p.slice(0, -1)) : k === p)));
      const entry: PlannedTask = { id: now.id, play: now.play, task: now.task, handler: now.handler, status, changes: now.plan.changes, steps, facts, ...(uncertain.length ? { uncertain } : {}) };
      (this.file.hosts[host] ??= []).push(JSON.parse(JSON.stringify(entry)) as PlannedTask);
      return {};
    }
    const saved = (this.file.hosts[host] ?? []).find((t) => t.id === now.id);
    (this.#seen.get(host) ?? this.#seen.set(host, new Set()).get(host)!).add(now.id);
    const what = `${now.handler ? 'handler' : 'task'} '${now.task}'`;
    if (!saved) return { refuse: `refused: the saved plan has no ${what} for ${host} (the playbook, its variables or the host changed since the plan was made): make the plan again` };
    if (saved.uncertain) return { note: `${what} re-planned: it read ${saved.uncertain.join(', ')}, which an earlier task changes in ways no plan can know` };
    const changed = Object.keys({ ...saved.facts, ...facts }).filter((k) => saved.facts[k] !== facts[k]);
    if (changed.length > 0) {
      return { refuse: `refused: ${host} changed since the plan was made: ${changed.map((k) => `${k}${k in facts ? '' : ' (no longer read)'}`).join(', ')} ${changed.length === 1 ? 'is' : 'are'} not what ${what} was planned from; make the plan again, or apply with --refresh` };
    }
    if (JSON.stringify(saved.steps) !== JSON.stringify(JSON.parse(JSON.stringify(steps))) || saved.status !== status) {
      return { refuse: `refused: ${what} would now do something else than the saved plan on ${host}; make the plan again, or apply with --refresh` };
    }
    return {};
  }

  /** Saved tasks with steps that the apply never reached on this host (their condition changed). */
  unreached(host: string): PlannedTask[] {
    if (this.mode.kind !== 'apply') return [];
    const seen = this.#seen.get(host) ?? new Set<string>();
    return (this.file.hosts[host] ?? []).filter((t) => !seen.has(t.id) && t.steps.length > 0);
  }
}
