// Turns planned steps into the shell text the connection sends. Arguments pass through quote();
// whatever the host must keep from stdin (file content, a password for chpasswd, a crontab) is
// framed (engine/remote/frame.ts) and checked whole before it is used, so a connection that
// drops half-way commits nothing. Path steps and writes enter their folder with ss_cd first, so a
// user who owns a folder on the way cannot redirect root through a link (engine/remote/path-lib.ts).
import { PATH_LIB } from '../remote/path-lib.ts';
import { RECEIVE_LIB } from '../remote/receive-lib.ts';
import { quote, shellJoin } from '../quote.ts';
import { isSecret, type Secret } from '../secret.ts';
import { chownSpec, deadline, SIGNAL_TRAPS, type RenderOptions } from './render-shared.ts';
import type { RunStep, Step } from './types.ts';

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

/** What a step does, in a line: the log's and the error's name for it (the shell text says little). */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'wait':
      return `wait for ${step.what}`;
    case 'reboot':
      return `reboot and wait for the new boot (${step.timeoutS} s at most)`;
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

export { renderWrite, PREVIOUS_DIR } from './render-write.ts';
export { renderPathStep } from './render-path.ts';
export { DEFAULT_RECEIVE_DEADLINE_S, type RenderOptions } from './render-shared.ts';
