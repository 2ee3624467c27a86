// The one place where arguments become POSIX shell text. Every remote command is built from an
// argument array and passes through here; nothing else interpolates strings into shell.

const SAFE = /^[A-Za-z0-9_\-+=.,/:@%^]+$/;

/** Quotes one argument for a POSIX shell: bare when it is plainly safe, else in single quotes with ' as '\''. */
export function quote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Turns an argument array into one shell command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}
