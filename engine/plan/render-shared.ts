// Shell pieces the step renderers share: entering a step's folder, an owner:group spec, chmod
// through descriptor 3, the signal traps, the host's own deadline for content.
import { quote } from '../quote.ts';

/** A signal ends the script through `exit`, so its EXIT trap still removes what it made. */
export const SIGNAL_TRAPS = "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 141' PIPE";

/** How long a host waits for content to arrive before it gives up on its own (see ss_watch). */
export const DEFAULT_RECEIVE_DEADLINE_S = 3600;

export interface RenderOptions {
  /** Seconds the host waits for stdin content (the exec's own deadline, when it has one). */
  deadlineS?: number;
}

/** Enters the folder of an absolute path; exits 20, saying why, when that is not possible. */
export function enter(dir: string, missing: string): string {
  return `ss_cd ${quote(dir)}; ss_rc=$?; if [ $ss_rc != 0 ]; then [ $ss_rc = 2 ] && printf '%s\\n' ${quote(`shipshape: ${missing}`)} >&2; exit 20; fi`;
}

export function chownSpec(owner: string | undefined, group: string | undefined): string | undefined {
  if (owner === undefined && group === undefined) return undefined;
  return `${owner ?? ''}${group !== undefined ? `:${group}` : ''}`;
}

/** chmod through descriptor 3; a folder's setuid/setgid bits go only when the mode says so (GNU chmod keeps them for a 4-digit mode). */
export function chmodFd(mode: string): string {
  const five = `0${mode.padStart(4, '0')}`;
  return `if [ -d /dev/fd/3 ]; then chmod -- ${quote(five)} /dev/fd/3; else chmod -- ${quote(mode)} /dev/fd/3; fi || exit 27`;
}

/** The host's own deadline for content, in whole seconds. */
export function deadline(opts: RenderOptions): number {
  return Math.max(1, Math.ceil(opts.deadlineS ?? DEFAULT_RECEIVE_DEADLINE_S));
}
