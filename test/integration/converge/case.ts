// One convergence case: the tasks to run (module calls with their params, handlers if any), the
// state the host is put in before (a shell script run as root on a freshly reset host), and what
// the host must hold after (a shell command run as root, and its exact output). A table file in
// cases/ is a list of these: adding a case is adding a row.
import type { Task } from '../../../engine/playbook/define.ts';

export interface ConvergeCase {
  /** Unique over all tables: the test's name, and how the playbook (playbook.ts) finds the case. */
  name: string;
  /** Shell run as root on the fresh host before the first run: the starting state. */
  prepare?: string;
  /** Run on the controller before `prepare` (publish a git repository on the lab's daemon). */
  controller?: () => Promise<void>;
  tasks: Task[];
  handlers?: Task[];
  /**
   * The case needs a second host (transfer's source): taken from the same pool as the case's host,
   * reset to fresh and put in its starting state by `prepare` too; its name reaches the playbook as
   * the var `peer` (`fromVar('peer')`). The checks are on the case's host; `readBack` may read the
   * peer's name as $PEER.
   */
  peer?: { prepare?: string };
  /** Extra vars (-e KEY=VALUE) for every run. */
  vars?: Record<string, string>;
  /** The tasks (and `handler NAME`s) the real run changes, in order: the case exercises what it says. */
  changed: string[];
  /**
   * The run must fail, dry run and real run alike, with this message: from the plan of `task`, or
   * (no task) refused before any host is touched (a bad template: every problem at once, no task runs).
   */
  fails?: { task?: string; msg: RegExp };
  /** Read back as root once the runs are done; the output must be exactly `want`. */
  readBack: string;
  want: string;
}

export const table = (...cases: ConvergeCase[]): ConvergeCase[] => cases;
