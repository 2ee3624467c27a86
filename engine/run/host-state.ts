// What the runner keeps per host for the whole run: its link, its facts, registered results,
// whether it failed or could not be reached, and its tally for the recap.
import { BecomeError, ConnectionError, ExecTimeoutError } from '../connection/errors.ts';
import { FactStore } from '../facts/store.ts';
import type { InventoryHost } from '../inventory/types.ts';
import type { TaskOutput } from '../module.ts';
import { NO_PACKAGES, type PackagesKept } from './package-effects.ts';
import type { HostTally } from '../report/events.ts';
import type { PreviousFile } from './execute.ts';
import type { PendingList } from './pending-handlers.ts';
import type { PreviewedPackage } from '../packages/preview.ts';
import type { HostLink } from './host-link.ts';
import { FileMarks } from './file-marks.ts';

export interface HostState {
  host: InventoryHost;
  link?: HostLink;
  facts: FactStore;
  registered: Record<string, TaskOutput>;
  failed: boolean;
  unreachable: boolean;
  tally: HostTally;
  /** Whether a step was executed or (in check mode) would be, or a task's outcome is unknown: feeds `engine check`'s exit status. */
  changed: boolean;
  /** The plays (by index) this host went through to their end. */
  completed: Set<number>;
  /** Work on the host stopped before its end (a signal, a stopped rollout): it goes to the retry file. */
  unfinished: boolean;
  /** sshd files this run changed and their previous content, until a fresh login confirms them. */
  loginJournal: PreviousFile[];
  /** Notified handlers written down on the host and not run yet (plays that become root). */
  pending?: PendingList;
  /** Dry run: the packages earlier apt tasks would install, as previewed (see engine/packages/). */
  previews: PreviewedPackage[];
  /** What earlier apt tasks install or change (the modules' PlanContext.packages). */
  packages: PackagesKept;
  /** What earlier tasks write (the modules' PlanContext.files). */
  files: FileMarks;
}

export function newHostState(host: InventoryHost): HostState {
  return {
    host,
    facts: new FactStore(),
    registered: {},
    failed: false,
    unreachable: false,
    tally: { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0, unknown: 0 },
    changed: false,
    completed: new Set(),
    unfinished: false,
    loginJournal: [],
    previews: [],
    packages: NO_PACKAGES,
    files: new FileMarks(),
  };
}

/** The connection is gone (not a command that timed out, nor sudo refusing): the host is unreachable. */
export function isConnectionLost(err: unknown): boolean {
  return err instanceof ConnectionError && !(err instanceof ExecTimeoutError) && !(err instanceof BecomeError);
}

/** A host stopped by an error outside any task's own failure: unreachable when its connection is gone, else failed. Returns the status. */
export function markHostDown(state: HostState, err: unknown): 'unreachable' | 'failed' {
  if (isConnectionLost(err)) {
    state.unreachable = true;
    state.tally.unreachable++;
    return 'unreachable';
  }
  state.failed = true;
  state.tally.failed++;
  return 'failed';
}
