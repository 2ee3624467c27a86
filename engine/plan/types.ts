// What a module's plan returns: the changes (for the report and the diff), the steps that make
// them (for the engine to execute, or not, in check mode) and the facts as they will be after.
import type { Secret } from '../secret.ts';

/** One remote command, as an argument array; the engine quotes it. */
export interface RunStep {
  kind: 'run';
  argv: string[];
  /** Fed on stdin; a Secret is revealed only on the wire. */
  stdin?: string | Buffer | Secret;
  env?: Record<string, string>;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
  /** Runs in this directory. */
  cwd?: string;
  /** Raw shell text instead of argv, only for the `shell` module where the user asked for a shell. */
  shell?: string;
  /**
   * For steps a plan runs without announcing a change (see Plan.steps): whether this run changed
   * something after all (apt-get update that fetched new lists). Pure: it only reads the result.
   */
  reportsChange?: (result: { code: number | null; stdout: string; stderr: string }) => boolean;
}

/** An atomic file write: temp file in the target folder, owner and mode set first, validated, renamed. */
export interface WriteStep {
  kind: 'write';
  path: string;
  content: string | Buffer | Secret;
  mode?: string;
  owner?: string;
  group?: string;
  /** A command with %s for the temp file, run before the rename (sshd -t -f %s). */
  validate?: string;
  /** Keep the old file as PATH.TIMESTAMP~ before replacing it. */
  backup?: boolean;
}

/** Work done on the controller, not the host (transfer between hosts, wait from the controller). */
export interface LocalStep {
  kind: 'local';
  describe: string;
  /** Resolves true when it changed something (only read for steps of a plan without changes). */
  run: (io: LocalIO) => Promise<boolean | void>;
}

export interface LocalIO {
  /** Run a shell command on the current host. */
  exec(command: string, opts?: { stdin?: Buffer | string | NodeJS.ReadableStream; timeoutMs?: number }): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>;
  /** Run a shell command on another inventory host (for transfers). */
  execOn(host: string, command: string, opts?: { stdin?: Buffer | string | NodeJS.ReadableStream; stdout?: NodeJS.WritableStream; timeoutMs?: number }): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>;
  /** Reconnect to the current host (after a reboot). */
  reconnect(timeoutMs: number): Promise<void>;
}

export type Step = RunStep | WriteStep | LocalStep;

/** One difference between the host and the wanted state. */
export interface Change {
  /** What differs, in a few words: "owner", "package nginx", "line PermitRootLogin". */
  what: string;
  before?: unknown;
  after?: unknown;
  /** Text contents for a unified diff. */
  text?: { path: string; before: string; after: string };
  /** True when the text or value holds secrets and must not be shown. */
  sensitive?: boolean;
}

/**
 * With changes, the steps make them: a dry run reports the task as changed and runs nothing.
 * Without changes but with steps, the steps are actions that change nothing known in advance (wait
 * for a port, refresh apt lists): a real run executes them and reports changed only when a step
 * says so (reportsChange, or a LocalStep resolving true); a dry run reports ok and runs nothing.
 */
export interface Plan {
  changes: Change[];
  steps: Step[];
  /** Facts as they will be after the steps, keyed by fact key. */
  after?: Record<string, unknown>;
  /** Fact keys (or prefixes ending in '*') that the steps change in ways the plan cannot predict. */
  invalidates?: string[];
  /**
   * Partial predictions for a dry run only (a file a build command produces: it will exist, its
   * checksum is unknown). In a real run these keys are read again from the host instead.
   */
  guesses?: Record<string, unknown>;
  /** A message shown with the result ("would create user smp"). */
  msg?: string;
  /** Text for the user, printed in every run, dry or real, as a 'message' event (debug). */
  message?: string;
  /** Values a later task can read through `register`. */
  output?: Record<string, unknown>;
}

/** A plan that cannot be made: a missing prerequisite or a contradiction. Thrown from plan(). */
export class PlanError extends Error {
  override name = 'PlanError';
}
