// The one event stream. The engine emits these; the human view, --json lines and the log file
// are consumers of the same events. The JSON Lines schema is this union (documented in the README).
import type { Change } from '../plan/types.ts';

/**
 * unknown: only in a dry run, a task planned against a fact no dry run can know (a file a pending
 * package's maintainer scripts may create, a unit they may start): never reported as ok. msg names
 * the package. `engine check` counts it as not converged.
 */
export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'unknown';

export interface HostTally {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  /** Failures of tasks with ignoreErrors: reported, but the host carried on. */
  ignored: number;
  /** Dry run only: tasks whose outcome depends on what pending packages' maintainer scripts do. */
  unknown: number;
}

export type EngineEvent =
  | { type: 'run.start'; playbook: string; inventory: string; check: boolean; hosts: string[] }
  | { type: 'play.start'; play: string; hosts: string[] }
  | { type: 'batch.start'; play: string; batch: number; hosts: string[] }
  | { type: 'host.connected'; host: string; ms: number }
  | { type: 'host.unreachable'; host: string; error: string }
  | { type: 'task.result'; host: string; play: string; task: string; handler: boolean; status: TaskStatus; changes: Change[]; msg?: string; ms: number; check: boolean }
  | { type: 'command'; host: string; command: string; code: number | null; stdout: string; stderr: string; ms: number; become: boolean }
  /** detail: shown with -v only (human view and --json); the log has every message. */
  | { type: 'message'; host: string; text: string; detail?: true }
  | { type: 'play.end'; play: string; stopped?: string }
  | {
      type: 'recap';
      hosts: Record<string, HostTally>;
      /** SSH exec round trips per host. */
      roundTrips: Record<string, number>;
      /** Hosts whose work stopped before its end (a signal, a stopped rollout), neither failed nor unreachable. */
      unfinished: string[];
      /** The failed, unreachable and unfinished hosts, one per line: `--limit @FILE` retries them. */
      retryFile?: string;
    }
  | { type: 'run.end'; exitCode: number; ms: number };

export type EventOf<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

export type Listener = (event: EngineEvent) => void;

export class EventBus {
  readonly #listeners: Listener[] = [];
  on(listener: Listener): void {
    this.#listeners.push(listener);
  }
  emit(event: EngineEvent): void {
    for (const l of this.#listeners) l(event);
  }
}
