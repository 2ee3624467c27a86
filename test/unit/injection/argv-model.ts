// What the test knows of the programs the modules and facts run: which of their options take the
// next argument as a value, which programs wrap another command, and where a value given to them is
// shell text. With it, `optionProblems` finds a user-given value that a program would parse as an
// option: one that starts with a dash, before `--`, and not the value of an option.
import { tokens } from './hostile.ts';

/** Options taking the next argument as their value (GNU getopt keeps parsing options after operands). */
const OPTION_ARGS: Record<string, readonly string[]> = {
  'apt-cache': ['-o', '-c', '-t', '-a'],
  'apt-get': ['-o', '-c', '-t', '-a'],
  certbot: ['--email', '-m', '--server', '--cert-name', '--key-type', '--webroot-path', '-w', '-d', '--domains', '--deploy-hook', '--renew-hook', '--pre-hook', '--post-hook', '--config-dir', '--work-dir', '--logs-dir'],
  chpasswd: ['-c', '--crypt-method', '-s', '--sha-rounds'],
  crontab: ['-u'],
  curl: ['-o', '--output', '--max-time', '-m', '-H', '-d', '-u', '-x'],
  cut: ['-d', '-f', '-c', '-b'],
  date: ['-d', '-r', '-I'],
  'dpkg-query': ['-f', '--showformat', '--admindir'],
  getent: ['-s', '--service'],
  git: ['-C', '-c', '--branch', '-b', '--depth', '-B', '--origin', '-o', '--upload-pack', '-u', '--template', '--reference', '--separate-git-dir'],
  grep: ['-e', '-f', '-m', '-A', '-B', '-C'],
  groupadd: ['-g', '--gid', '-K', '--key', '-p', '--password'],
  groupmod: ['-g', '--gid', '-n', '--new-name', '-p', '--password'],
  head: ['-n', '-c'],
  install: ['-m', '--mode', '-o', '--owner', '-g', '--group', '-t', '-S'],
  mktemp: ['-p', '--tmpdir', '--suffix'],
  sed: ['-e', '-f'],
  sort: ['-k', '-t', '-o', '-S', '-T'],
  stat: ['-c', '--format', '--printf'],
  systemctl: ['-p', '--property', '-t', '--type', '-H', '--host', '-M', '--machine', '-n', '--lines', '-o', '--output', '--state', '--root', '-s', '--signal', '--job-mode', '--what', '--timestamp'],
  'systemd-run': ['-p', '--property', '-u', '--unit', '--on-active', '--timer-property', '-E', '--setenv'],
  tail: ['-n', '-c'],
  timeout: ['-s', '--signal', '-k', '--kill-after'],
  touch: ['-d', '-r', '-t'],
  useradd: ['-u', '--uid', '-g', '--gid', '-G', '--groups', '-d', '--home-dir', '-s', '--shell', '-c', '--comment', '-p', '--password', '-k', '--skel', '-K', '--key', '-e', '--expiredate', '-f', '--inactive'],
  usermod: ['-u', '--uid', '-g', '--gid', '-G', '--groups', '-d', '--home', '-s', '--shell', '-c', '--comment', '-p', '--password', '-l', '--login', '-e', '--expiredate', '-f', '--inactive'],
  wget: ['-O', '-T', '-o', '-e'],
};

/**
 * Programs with a grammar of their own: only their first N arguments can be options. ufw reads
 * --dry-run and --force as its first argument only; after that, words like `comment` take the next one.
 */
const OPTIONS_ONLY_FIRST: Record<string, number> = { ufw: 1 };

/** One program run: its name (argv[0]'s last part) and its arguments. */
export interface Invocation {
  program: string;
  args: readonly string[];
}

/**
 * Unwraps `timeout [opts] DURATION CMD...` and `setpriv [opts] -- CMD...` to CMD; `sh -c SCRIPT
 * NAME ARGS...` has no options after SCRIPT.
 */
function unwrap(inv: Invocation): Invocation | 'positional' {
  if (inv.program === 'timeout') {
    let i = 0;
    while (i < inv.args.length && inv.args[i]!.startsWith('-')) i += OPTION_ARGS.timeout!.includes(inv.args[i]!) ? 2 : 1;
    const rest = inv.args.slice(i + 1);
    return rest.length > 0 ? unwrap({ program: base(rest[0]!), args: rest.slice(1) }) : 'positional';
  }
  if (inv.program === 'setpriv') {
    // setpriv [--opt=value...] [--] CMD... (git in a checkout another user owns)
    let i = 0;
    while (i < inv.args.length && inv.args[i]!.startsWith('-') && inv.args[i] !== '--') i++;
    if (inv.args[i] === '--') i++;
    const rest = inv.args.slice(i);
    return rest.length > 0 ? unwrap({ program: base(rest[0]!), args: rest.slice(1) }) : 'positional';
  }
  if (['sh', 'bash', 'dash'].includes(inv.program) && inv.args[0] === '-c') return 'positional';
  return inv;
}

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** For each argument: whether the program would read it as an option (or a cluster of them). */
export function optionPositions(inv: Invocation): boolean[] {
  const u = unwrap(inv);
  if (u === 'positional') return inv.args.map(() => false);
  const takes = OPTION_ARGS[u.program] ?? [];
  const only = OPTIONS_ONLY_FIRST[u.program];
  const offset = inv.args.length - u.args.length;
  const out = inv.args.map(() => false);
  let ended = false;
  let valueNext = false;
  u.args.forEach((arg, i) => {
    if (ended || (only !== undefined && i >= only)) return;
    if (valueNext) {
      valueNext = false;
      return;
    }
    if (arg === '--') {
      ended = true;
      return;
    }
    if (arg.startsWith('-') && arg !== '-') {
      out[offset + i] = true;
      valueNext = takes.includes(arg);
    }
  });
  return out;
}

/**
 * A user-given value that starts with a dash and lands where the program reads options. Only
 * values with a token of their own: '-rf' could be the module's own option (rm -rf --).
 */
export function optionProblems(inv: Invocation, value: string): string[] {
  if (!value.startsWith('-') || tokens(value).length === 0) return [];
  const raw = value;
  const pos = optionPositions(inv);
  return inv.args
    .map((arg, i) => (pos[i] && arg.startsWith(raw) ? `${inv.program} reads ${JSON.stringify(arg)} (argument ${i + 1}) as an option: ${JSON.stringify([inv.program, ...inv.args])}` : undefined))
    .filter((x): x is string => x !== undefined);
}

/** certbot options whose value certbot runs with a shell. */
export const CERTBOT_HOOKS = ['--deploy-hook', '--renew-hook', '--pre-hook', '--post-hook', '--manual-auth-hook', '--manual-cleanup-hook'];

/**
 * The command part of a crontab line (after the schedule, and the user in an /etc/cron.d file);
 * undefined for comments, blank lines and environment lines. cron runs that part with /bin/sh.
 */
export function cronCommand(line: string, withUser: boolean): string | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(t)) return undefined;
  const fields = (t.startsWith('@') ? 1 : 5) + (withUser ? 1 : 0);
  const m = new RegExp(`^(?:\\S+\\s+){${fields}}(.*)$`).exec(t);
  return m ? m[1] : undefined;
}
