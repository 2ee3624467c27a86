// The one place where arguments become POSIX shell text. Every remote command is built from an
// argument array and passes through here; nothing else interpolates strings into shell.

const SAFE = /^[A-Za-z0-9_\-+=.,/:@%^]+$/;

/**
 * Words the shell reads as syntax where a command starts (bash's too: the login shell of the
 * host may be bash). Quoted, they are plain command names.
 */
const RESERVED = new Set(['case', 'coproc', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in', 'select', 'then', 'time', 'until', 'while']);

/** Quotes one argument for a POSIX shell: bare when it is plainly safe, else in single quotes with ' as '\''. */
export function quote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return singleQuoted(arg);
}

/**
 * Quotes the command word (argv[0]): a word that is safe as an argument is not always safe there.
 * `NAME=value` bare is an assignment (nothing runs, or the next word runs with NAME set), and a
 * reserved word bare is syntax; both are quoted.
 */
export function quoteCommand(arg: string): string {
  if (arg.includes('=') || RESERVED.has(arg)) return singleQuoted(arg);
  return quote(arg);
}

/** Turns an argument array into one shell command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((arg, i) => (i === 0 ? quoteCommand(arg) : quote(arg))).join(' ');
}

function singleQuoted(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
