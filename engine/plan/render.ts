// Turns planned steps into the shell text the connection sends. Arguments pass through quote();
// whatever the host must keep from stdin (file content, a password for chpasswd, a crontab) is
// framed (engine/remote/frame.ts) and checked whole before it is used, so a connection that
// drops half-way commits nothing. Path steps and writes enter their folder with ss_cd first, so a
// user who owns a folder on the way cannot redirect root through a link (engine/remote/path-lib.ts).
import { PATH_LIB, splitPath } from '../remote/path-lib.ts';
import { RECEIVE_LIB } from '../remote/receive-lib.ts';
import { quote, shellJoin } from '../quote.ts';
import { isSecret, type Secret } from '../secret.ts';
import type { AttrsStep, LocalStep, MkdirStep, PathStep, RemoveStep, RunStep, Step, SymlinkStep, WriteStep } from './types.ts';

export type Lib = 'path' | 'receive';

/** Shell text to run, and the function libraries it calls (put before it once per exec). */
export interface Rendered {
  body: string;
  libs: Lib[];
}

const LIBS: Record<Lib, string> = { path: PATH_LIB, receive: RECEIVE_LIB };

/** The libraries, then the body: what goes to the host. */
export function script(parts: readonly Rendered[], joiner = '\n'): string {
  const libs = new Set(parts.flatMap((p) => p.libs));
  return [...(['path', 'receive'] as const).filter((l) => libs.has(l)).map((l) => LIBS[l]), parts.map((p) => p.body).join(joiner)].join('');
}

/** A signal ends the script through `exit`, so its EXIT trap still removes what it made. */
const SIGNAL_TRAPS = "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 141' PIPE";

/** Where writes keep the previous file when asked (keepPrevious): root's, in memory. */
export const PREVIOUS_DIR = '/run/shipshape/prev';

/** How long a host waits for content to arrive before it gives up on its own (see ss_watch). */
export const DEFAULT_RECEIVE_DEADLINE_S = 3600;

export interface RenderOptions {
  /** Seconds the host waits for stdin content (the exec's own deadline, when it has one). */
  deadlineS?: number;
}

/** The command itself, without the stdin it may need (see renderRun). */
function commandText(step: RunStep): string {
  let command = step.shell ?? shellJoin(step.argv);
  if (step.env && Object.keys(step.env).length > 0) {
    for (const [k, v] of Object.entries(step.env)) {
      // A command line is visible in the host's process list: a secret goes on stdin instead.
      if (isSecret(v)) throw new Error(`env ${k} of ${step.argv[0] ?? 'a command'} is a secret: it would show in the host's process list; pass it on stdin`);
    }
    const assignments = Object.entries(step.env).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
    command = step.shell !== undefined ? `export ${assignments}\n${command}` : `${assignments} ${command}`;
  }
  if (step.cwd) command = `cd ${quote(step.cwd)} || exit 1\n${command}`;
  return command;
}

/**
 * A command. With stdin, the command reads it only once all of it has arrived intact: the frames
 * go to a private folder under /run (memory, not disk), are checked, and are then fed to it.
 */
export function renderRun(step: RunStep, opts: RenderOptions = {}): Rendered {
  const command = commandText(step);
  if (step.stdin === undefined) return { body: command, libs: [] };
  const body = [
    SIGNAL_TRAPS,
    `ss_d=$(umask 077; mktemp -d /run/.shipshape-in.XXXXXXXX 2>/dev/null || mktemp -d) || exit 21`,
    `trap 'ss_unwatch; rm -rf -- "$ss_d"' EXIT`,
    `ss_watch ${deadline(opts)}`,
    'ss_head || exit 21',
    'command exec 3>"$ss_d/in" || exit 22',
    'ss_recv || exit 23',
    'ss_unwatch',
    'exec 3>&-',
    `{\n${command}\n} < "$ss_d/in"`,
  ].join('\n');
  return { body, libs: ['receive'] };
}

/** Enters the folder of an absolute path; exits 20, saying why, when that is not possible. */
function enter(dir: string, missing: string): string {
  return `ss_cd ${quote(dir)}; ss_rc=$?; if [ $ss_rc != 0 ]; then [ $ss_rc = 2 ] && printf '%s\\n' ${quote(`shipshape: ${missing}`)} >&2; exit 20; fi`;
}

function chownSpec(owner: string | undefined, group: string | undefined): string | undefined {
  if (owner === undefined && group === undefined) return undefined;
  return `${owner ?? ''}${group !== undefined ? `:${group}` : ''}`;
}

/** chmod through descriptor 3; a folder's setuid/setgid bits go only when the mode says so (GNU chmod keeps them for a 4-digit mode). */
function chmodFd(mode: string): string {
  const five = `0${mode.padStart(4, '0')}`;
  return `if [ -d /dev/fd/3 ]; then chmod -- ${quote(five)} /dev/fd/3; else chmod -- ${quote(mode)} /dev/fd/3; fi || exit 27`;
}

/**
 * The write. Nobody but the engine knows the temp file's name before it exists (its random part
 * comes on stdin), and it is created with O_EXCL (set -C), so no link can be waiting there; from
 * then on the file is reached through descriptor 3 only. The checks before the rename: all the
 * bytes arrived and hash right (or the pinned sha256 for a download), `validate` passes, the temp
 * name is still ours, and the target still has the sha256 the plan was made from.
 */
function deadline(opts: RenderOptions): number {
  return Math.max(1, Math.ceil(opts.deadlineS ?? DEFAULT_RECEIVE_DEADLINE_S));
}

export function renderWrite(step: WriteStep, opts: RenderOptions = {}): Rendered {
  if ((step.content === undefined) === (step.source === undefined)) throw new Error(`write ${step.path}: give exactly one of content and source`);
  const { dir, base } = splitPath(step.path);
  if (base === '.') throw new Error(`write ${step.path}: not a file path`);
  const lines = [
    enter(dir, `the folder ${dir} does not exist (create it first)`),
    SIGNAL_TRAPS,
    `trap 'ss_unwatch' EXIT`,
    `ss_watch ${deadline(opts)}`,
    'ss_head || exit 21',
    `ss_b=${quote(base)}; ss_tmp=.${quote(base.slice(0, 100))}.shipshape-$ss_token`,
    'umask 077',
    'set -C; command exec 3>"$ss_tmp" || exit 22; set +C',
    `trap 'ss_unwatch; rm -f -- "$ss_tmp"' EXIT`,
  ];
  if (step.source?.kind === 'command') {
    lines.push(`${shellJoin(step.source.argv)} >&3 </dev/null || { printf '%s\\n' ${quote(`shipshape: ${step.source.argv[0]} failed`)} >&2; exit 25; }`);
    lines.push('ss_sum=$(sha256sum < /dev/fd/3) || exit 25', `printf 'sha256=%s\\n' "\${ss_sum%% *}"`);
    if (step.sha256) {
      const want = quote(step.sha256.toLowerCase());
      lines.push(`if [ "\${ss_sum%% *}" != ${want} ]; then printf 'shipshape: sha256 mismatch: expected %s, got %s; %s is left as it was\\n' ${want} "\${ss_sum%% *}" ${quote(step.path)} >&2; exit 24; fi`);
    }
  } else {
    lines.push('ss_recv || exit 23');
  }
  lines.push('ss_unwatch');
  const spec = chownSpec(step.owner, step.group);
  if (spec !== undefined) lines.push(`chown -- ${quote(spec)} /dev/fd/3 || exit 26`);
  else lines.push(`if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then ss_keep=$(stat -c %u:%g -- "$ss_b") && chown -- "$ss_keep" /dev/fd/3 2>/dev/null; fi`);
  if (step.mode) lines.push(`chmod -- ${quote(step.mode)} /dev/fd/3 || exit 27`);
  else lines.push(`if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then ss_keep=$(stat -c %a -- "$ss_b") || exit 27; else ss_keep=0644; fi; chmod -- "$ss_keep" /dev/fd/3 || exit 27`);
  lines.push('sync -- /dev/fd/3 || exit 27');
  if (step.validate) {
    if (!step.validate.includes('%s')) throw new Error(`validate command must contain %s for the temp file: ${step.validate}`);
    lines.push(
      `{ ${step.validate.split('%s').join('"$PWD/$ss_tmp"')}\n} </dev/null >&2 || { printf 'shipshape: validation failed: %s\\n' ${quote(step.validate)} >&2; exit 3; }`,
      // The validator read the file by name: it must still be ours, or it validated something else.
      `[ "$(stat -c %d:%i -- "$ss_tmp")" = "$(stat -L -c %d:%i /dev/fd/3)" ] || { echo "shipshape: the temp file was replaced while it was validated: refusing" >&2; exit 28; }`,
    );
  }
  lines.push(
    'if [ "$ss_was" != - ]; then',
    `  ss_now=; if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then ss_now=$(sha256sum < "$ss_b"); fi`,
    `  if [ "\${ss_now%% *}" != "$ss_was" ]; then printf '%s\\n' ${quote(`shipshape: ${step.path} changed since it was read (its sha256 is not the one the plan was made from): nothing written`)} >&2; exit 4; fi`,
    'fi',
  );
  const keepPrevious = Boolean(step.keepPrevious || step.check);
  if (keepPrevious) {
    // A copy in root's /run (memory), not beside the file: a copy in sshd_config.d could be read as config.
    lines.push(
      `if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then`,
      `  ss_prev=$(umask 077; mkdir -p ${PREVIOUS_DIR} && mktemp ${PREVIOUS_DIR}/XXXXXXXXXX) && cp -p -- "$ss_b" "$ss_prev" || exit 30`,
      `else ss_prev=absent; fi`,
      `printf 'previous=%s\\n' "$ss_prev"`,
    );
  }
  if (step.backup) {
    lines.push(
      `if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then`,
      `  ss_bak=$ss_b.$(date +%Y%m%d%H%M%S)~; ln -P -- "$ss_b" "$ss_bak" 2>/dev/null || { ss_bak=$ss_b.$(date +%Y%m%d%H%M%S)-$ss_token~; ln -P -- "$ss_b" "$ss_bak"; } || exit 30`,
      `  printf 'backup=%s\\n' "$PWD/$ss_bak"`,
      'fi',
    );
  }
  if (step.createOnly) {
    // link(2) never replaces: a file that appeared meanwhile stays.
    lines.push(`ln -P -- "$ss_tmp" "$ss_b" 2>/dev/null || { [ -e "$ss_b" ] || [ -L "$ss_b" ] || exit 29; }`);
  } else {
    // -T: a folder (or a link to one) at the target is an error, not a place to move into.
    lines.push('mv -f -T -- "$ss_tmp" "$ss_b" || exit 29', `trap 'ss_unwatch' EXIT`);
  }
  if (step.check) {
    // The whole configuration, with the new file in place: if it does not hold, the old file goes back.
    lines.push(
      `if ! { ${step.check}\n} </dev/null >&2; then`,
      `  if [ "$ss_prev" = absent ]; then rm -f -- "$ss_b"; else cp -p -- "$ss_prev" "$ss_tmp.back" && mv -f -T -- "$ss_tmp.back" "$ss_b"; fi`,
      `  printf 'shipshape: check failed: %s; the previous %s is back in place\\n' ${quote(step.check)} ${quote(step.path)} >&2`,
      '  exit 3',
      'fi',
    );
  }
  // In a folder another user may change, the name renamed may no longer have been our temp file
  // (swapped for a link): then what now sits at the target is not what was written, and the write
  // says so instead of reporting success. (Nothing of ours is lost: fd 3 held the content.)
  lines.push(
    `if [ -n "$ss_shared" ] && [ "$(stat -c %d:%i -- "$ss_b" 2>/dev/null)" != "$(stat -L -c %d:%i /dev/fd/3)" ]; then printf '%s\\n' ${quote(`shipshape: ${step.path} was replaced while it was written (its folder can be changed by another user): not written`)} >&2; exit 28; fi`,
  );
  return { body: lines.join('\n'), libs: ['path', 'receive'] };
}

function renderAttrs(step: AttrsStep): Rendered {
  const { dir, base } = splitPath(step.path);
  const spec = chownSpec(step.owner, step.group);
  const lines = [enter(dir, `${step.path} does not exist`)];
  if (step.link) {
    lines.push(`[ -L ${quote(base)} ] || { printf '%s\\n' ${quote(`shipshape: ${step.path} is no longer a symbolic link`)} >&2; exit 20; }`);
    if (spec !== undefined) lines.push(`chown -h -- ${quote(spec)} ${quote(base)} || exit 26`);
  } else {
    lines.push(`ss_pin ${quote(base)} || exit 20`);
    if (spec !== undefined) lines.push(`chown -- ${quote(spec)} /dev/fd/3 || exit 26`);
    if (step.mode) lines.push(chmodFd(step.mode));
  }
  return { body: `(\n${lines.join('\n')}\n)`, libs: ['path'] };
}

function renderMkdir(step: MkdirStep): Rendered {
  const spec = chownSpec(step.owner, step.group);
  const lines = [`ss_mkcd ${quote(step.path)} || exit 20`];
  if (spec !== undefined || step.mode) lines.push('ss_pin . || exit 20');
  if (spec !== undefined) lines.push(`chown -- ${quote(spec)} /dev/fd/3 || exit 26`);
  if (step.mode) lines.push(chmodFd(step.mode));
  return { body: `(\n${lines.join('\n')}\n)`, libs: ['path'] };
}

function renderRemove(step: RemoveStep): Rendered {
  const { dir, base } = splitPath(step.path);
  if (base === '.') throw new Error('refusing to remove /');
  const lines = [`ss_cd ${quote(dir)}; ss_rc=$?; [ $ss_rc = 2 ] && exit 0; [ $ss_rc = 0 ] || exit 20`, `rm -rf -- ${quote(`./${base}`)}`];
  return { body: `(\n${lines.join('\n')}\n)`, libs: ['path'] };
}

function renderSymlink(step: SymlinkStep): Rendered {
  const { dir, base } = splitPath(step.path);
  const spec = chownSpec(step.owner, step.group);
  const lines = [enter(dir, `the folder ${dir} does not exist (create it first)`), `ln -sfT -- ${quote(step.target)} ${quote(base)} || exit 29`];
  if (spec !== undefined) lines.push(`chown -h -- ${quote(spec)} ${quote(base)} || exit 26`);
  return { body: `(\n${lines.join('\n')}\n)`, libs: ['path'] };
}

export function renderPathStep(step: PathStep): Rendered {
  switch (step.kind) {
    case 'attrs':
      return renderAttrs(step);
    case 'mkdir':
      return renderMkdir(step);
    case 'remove':
      return renderRemove(step);
    case 'symlink':
      return renderSymlink(step);
  }
}

/** What a step does, in a line: the log's and the error's name for it (the shell text says little). */
export function describeStep(step: Exclude<Step, LocalStep>): string {
  switch (step.kind) {
    case 'wait':
      return `wait for ${step.what}`;
    case 'fetch':
      return step.chmodOnly ? `chmod ${step.mode} ${step.dest} (on the controller)` : `fetch ${step.src} to ${step.dest} (on the controller)`;
    case 'run':
      return step.label ?? step.shell ?? shellJoin(step.argv);
    case 'write': {
      const from = step.source === undefined ? '' : step.source.kind === 'url' ? ` from ${step.source.url}` : step.source.kind === 'host' ? ` from ${step.source.host}:${step.source.path}` : ` from ${step.source.argv.join(' ')}`;
      return `write ${step.path}${from}${step.validate ? ` (validated by ${step.validate})` : ''}`;
    }
    case 'attrs': {
      const spec = chownSpec(step.owner, step.group);
      return [spec !== undefined && `chown${step.link ? ' -h' : ''} ${spec} ${step.path}`, step.mode && `chmod ${step.mode} ${step.path}`].filter(Boolean).join('; ');
    }
    case 'mkdir':
      return `mkdir -p ${step.path}${step.mode ? ` (mode ${step.mode})` : ''}${chownSpec(step.owner, step.group) ? ` (owner ${chownSpec(step.owner, step.group)})` : ''}`;
    case 'remove':
      return `rm -rf ${step.path}`;
    case 'symlink':
      return `ln -s ${step.target} ${step.path}`;
  }
}

export function stdinText(stdin: string | Buffer | Secret | undefined): string | Buffer | undefined {
  if (stdin === undefined) return undefined;
  return isSecret(stdin) ? stdin.reveal() : stdin;
}
