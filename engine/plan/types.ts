// What a module's plan returns: the changes (for the report and the diff), the steps that make
// them (for the engine to execute, or not, in check mode) and the facts as they will be after.
import type { Secret } from '../secret.ts';
import type { SimulatedPackage } from '../facts/apt.ts';

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
  /** What it does, in a line, for the log and its error (a long script says little): default the command. */
  label?: string;
  /**
   * For steps a plan runs without announcing a change (see Plan.steps): how this run says it changed
   * something after all (apt-get update that fetched new lists). Data, so a saved plan holds it.
   */
  reportsChange?: StampChange;
}

/**
 * The command reads a stamp before and after its work and prints `STAMP-before=…` and
 * `STAMP-after=…` lines (engine/run/stamp-change.ts): the run changed something when they differ,
 * or when a line is missing (a change cannot be ruled out).
 */
export interface StampChange {
  stamp: string;
}

/**
 * A file written whole or not at all (engine/plan/render.ts has the whole story): the folder
 * entered without following a link its owner may swap in, a temp file created beside the target
 * under a name nobody could predict, filled through one descriptor, checked (size and sha256 of
 * what arrived, `sha256` when pinned, `validate`), given its owner and mode, then renamed.
 */
export interface WriteStep {
  kind: 'write';
  path: string;
  /** The new content. Exactly one of content and source. */
  content?: string | Buffer | Secret;
  /** Or where the content comes from. */
  source?: WriteSource;
  /** The sha256 the new content must have (a pinned download): anything else leaves the target as it was. */
  sha256?: string;
  /** Unset: an existing target keeps its mode, a new one gets 0644. */
  mode?: string;
  /** Unset (both): an existing target keeps its owner and group, a new one belongs to whoever writes it. */
  owner?: string;
  group?: string;
  /** A command with %s for the temp file, run before the rename (sshd -t -f %s). */
  validate?: string;
  /** Keep the old file as PATH.TIMESTAMP~ (a hard link to it) before replacing it. */
  backup?: boolean;
  /** Compare-and-swap: the sha256 the target had when the plan was made; a target changed since is left alone and the step fails. */
  replaces?: string;
  /** Only create the file: a target that exists by then is left as it is. */
  createOnly?: boolean;
  /**
   * A command run once the file is in place, checking the whole configuration it belongs to
   * (`sshd -t`, `nginx -t`): if it fails, the previous file is put back and the step fails.
   */
  check?: string;
  /**
   * Keep a copy of the previous file (in /run/shipshape/prev) and say where (`previous=PATH`, or
   * `previous=absent`), so the engine can put it back later in the run (after an sshd restart that
   * locks it out). The engine sets it for files that decide who may log in.
   */
  keepPrevious?: boolean;
}

/** Where a write's content comes from when it is not in the plan. */
export type WriteSource =
  /** Downloaded by the controller and streamed over the connection. */
  | { kind: 'url'; url: string; timeoutMs: number }
  /** A file on another inventory host, streamed through the controller (its mode is used for a new file). */
  | { kind: 'host'; host: string; path: string }
  /** What a command prints on the host itself (curl when the host downloads). */
  | { kind: 'command'; argv: string[] };

/** Mode, owner and group of an existing path, set through a descriptor opened on it, never through a link swapped in for its name. */
export interface AttrsStep {
  kind: 'attrs';
  path: string;
  mode?: string;
  owner?: string;
  group?: string;
  /** The path is a symbolic link: its own owner and group change (links have no mode). */
  link?: boolean;
}

/** A folder and any missing folders above it, made one name at a time; the last one gets the attributes. */
export interface MkdirStep {
  kind: 'mkdir';
  path: string;
  mode?: string;
  owner?: string;
  group?: string;
}

/** A path removed, recursively for a folder; nothing to do when it is gone already. */
export interface RemoveStep {
  kind: 'remove';
  path: string;
}

/** A symbolic link at path to target, replacing a link or file there (never a folder). */
export interface SymlinkStep {
  kind: 'symlink';
  path: string;
  target: string;
  owner?: string;
  group?: string;
}

/**
 * Waiting until something holds: on the host, a shell loop (`script`, bounded by `timeoutS`, exit 0
 * once it holds, 124 when the time is up); from the controller, a TCP port opened or closed.
 */
export type WaitStep =
  | { kind: 'wait'; what: string; on: 'host'; script: string; timeoutS: number }
  | { kind: 'wait'; what: string; on: 'controller'; address: string; port: number; state: 'open' | 'closed'; timeoutS: number; intervalS: number; delayS: number };

/**
 * A file of the host copied to the controller (dest, an absolute local path), streamed, checked by
 * size and sha256 against the host's when it started, written to a temp file and renamed; or, with
 * chmodOnly, the local file's mode only. The mode is never setuid, setgid or sticky unless given.
 */
export interface FetchStep {
  kind: 'fetch';
  src: string;
  dest: string;
  /** The local file's mode; unset: the existing local file's, else the host file's (without setuid/setgid/sticky). */
  mode?: string;
  chmodOnly?: boolean;
}

/** A reboot: the host restarts, the engine reconnects once it is back with a new boot (within timeoutS). */
export interface RebootStep {
  kind: 'reboot';
  timeoutS: number;
}

/** Steps that act on one path: rendered by the engine, safe in folders other users own. */
export type PathStep = AttrsStep | MkdirStep | RemoveStep | SymlinkStep;

export interface LocalExecOptions {
  stdin?: Buffer | string | NodeJS.ReadableStream;
  timeoutMs?: number;
  /** false: the log records the command but not its output (a file's bytes read off a host). */
  logOutput?: boolean;
}

/** What the engine's steps reach beyond the task's own host: another inventory host (a transfer's source). */
export interface LocalIO {
  /** Run a shell command on another inventory host. */
  execOn(host: string, command: string, opts?: LocalExecOptions): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>;
}

/** Every step is data: a kind the engine executes (engine/run/execute.ts), never a closure of a module's. */
export type Step = RunStep | WriteStep | PathStep | WaitStep | FetchStep | RebootStep;

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
 * says so (reportsChange, a reboot); a dry run reports ok and runs nothing.
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
  /** What the task does to the host's packages, for the engine to keep (see PackageEffect). */
  packages?: PackageEffect;
  /** What the task writes that later tasks of the run must know and no host reports (see FileEffect). */
  files?: FileEffect;
  /**
   * In a dry run, why this task's outcome cannot be known (a unit a package an earlier task installs
   * may ship): the task is reported unknown with this reason. Ignored in a real run.
   */
  unknown?: string;
  /** A message shown with the result ("would create user smp"). */
  msg?: string;
  /** Text for the user, printed in every run, dry or real, as a 'message' event (debug). */
  message?: string;
  /** Values a later task can read through `register`. */
  output?: Record<string, unknown>;
}

/**
 * The effects channel for packages: what an apt task installs, upgrades or removes. The engine
 * keeps it per host: later tasks read it through PlanContext.packages, and a dry run previews the
 * packages `install` names (engine/packages/) so later tasks plan on what they ship.
 */
export interface PackageEffect {
  /** The names given to apt-get install (new or upgraded): what a dry run previews. */
  install: string[];
  /** Of those, the ones not on the host before (a user or unit they bring cannot be on it yet). */
  installsNew: string[];
  /** Every package the task installs, upgrades or removes; `(upgrade)`-like labels where apt decides the set. */
  touches: string[];
  /** The task refreshes the lists before installing. */
  update: boolean;
  /** For a dry run's later apt tasks: the version it leaves each package it changes at (null: removed). */
  versions?: Record<string, string | null>;
  /** For a dry run's later autoremove: what its removals leave behind, as apt-get -s says it would remove it. */
  leaves?: SimulatedPackage[];
}

/**
 * The effects channel for files: what a task writes, for later tasks of the same run, which read
 * it through PlanContext.files (engine/run/file-marks.ts keeps it per host). A host cannot say
 * whether a file was rewritten by this run, only a plan can: systemd reads it to know that a unit
 * file or a drop-in folder an earlier task changed calls for a daemon-reload.
 */
export interface FileEffect {
  /** Paths the task writes new content to. */
  written?: string[];
  /** Folders in which it writes or removes a file (a unit's drop-ins have names no module knows in advance). */
  writtenIn?: string[];
  /** Marks the task takes in (a daemon-reload loads what was written): later tasks find them unset. */
  settles?: { written?: string[]; writtenIn?: string[] };
}

/** A plan that cannot be made: a missing prerequisite or a contradiction. Thrown from plan(). */
export class PlanError extends Error {
  override name = 'PlanError';
}
