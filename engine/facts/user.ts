// Users and groups as the host's name service sees them (getent), keyed `user:NAME` and
// `group:NAME`. The user and group modules predict these shapes, so a later task (a file owned by
// a user an earlier task creates) plans against the predicted user, in a dry run too.
import { quote } from '../quote.ts';
import { defineFact, type Fact } from './types.ts';

export interface UserFact {
  exists: boolean;
  /** The name as the passwd entry spells it (a numeric key resolves to the name). */
  name: string;
  uid: number | null;
  gid: number | null;
  home: string | null;
  shell: string | null;
  /** The GECOS field ('' when empty); absent when unknown. */
  comment?: string;
  /** Group names the user belongs to, primary group included (`id -Gn`); absent when unknown. */
  groups?: string[];
}

export interface GroupFact {
  exists: boolean;
  name: string;
  gid: number | null;
  /** Supplementary members listed in the group entry. */
  members: string[];
}

export function userKey(name: string): string {
  return `user:${name}`;
}

export function groupKey(name: string): string {
  return `group:${name}`;
}

// `--` before every name: getent would read `-sfiles` as `-s files` and list the whole database
// (whose first entry, root, the parser would then take for the user).
export function userFact(name: string): Fact<UserFact> {
  const script = [`entry=$(getent passwd -- ${quote(name)}) || exit 0`, `printf '%s\\n' "$entry"`, `id -Gn -- ${quote(name)} 2>/dev/null || true`].join('\n');
  return defineFact<UserFact>(userKey(name), script, (out) => parseUser(name, out));
}

export function groupFact(name: string): Fact<GroupFact> {
  return defineFact<GroupFact>(groupKey(name), `getent group -- ${quote(name)} || exit 0`, (out) => parseGroup(name, out));
}

export function parseUser(name: string, out: string): UserFact {
  const [entry, groups] = out.split('\n');
  const f = (entry ?? '').split(':');
  if (f.length < 7) return { exists: false, name, uid: null, gid: null, home: null, shell: null };
  const user: UserFact = { exists: true, name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]!, comment: f[4]! };
  if (groups && groups.trim()) user.groups = groups.trim().split(/\s+/);
  return user;
}

export function parseGroup(name: string, out: string): GroupFact {
  const f = out.split('\n')[0]!.split(':');
  if (f.length < 4) return { exists: false, name, gid: null, members: [] };
  return { exists: true, name: f[0]!, gid: Number(f[2]), members: f[3] ? f[3].split(',') : [] };
}

/** `uid:N`: the name of the account that has uid N, or null. The user module predicts it for the accounts it creates, renumbers and removes. */
export function uidFact(uid: number): Fact<string | null> {
  return defineFact<string | null>(`uid:${uid}`, `getent passwd -- ${uid} | cut -d: -f1`, (out) => out.trim() || null);
}

/** `gid:N`: the name of the group that has gid N, or null. The group module predicts it as uid:N. */
export function gidFact(gid: number): Fact<string | null> {
  return defineFact<string | null>(`gid:${gid}`, `getent group -- ${gid} | cut -d: -f1`, (out) => out.trim() || null);
}

export interface UserProcess {
  pid: number;
  command: string;
}

const PROCESSES = 'procs:';
/** Every userProcessesFact key (an invalidation pattern): a unit started or stopped changes who runs what. */
export const EVERY_USER_PROCESSES = `${PROCESSES}*`;

/**
 * `procs:NAME`: the processes running as the user (real uid, as userdel checks), from /proc (no
 * procps on a minimal host); [] when there is no such user. Read only to remove the user.
 */
export function userProcessesFact(name: string): Fact<UserProcess[]> {
  const script = [
    `ss_u=$(id -u -- ${quote(name)} 2>/dev/null) || exit 0`,
    'for ss_d in /proc/[0-9]*; do',
    '  ss_r=$(sed -n "s/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p" "$ss_d/status" 2>/dev/null) || continue',
    '  [ "$ss_r" = "$ss_u" ] && printf \'%s %s\\n\' "${ss_d#/proc/}" "$(cat "$ss_d/comm" 2>/dev/null)"',
    'done; true',
  ].join('\n');
  return defineFact<UserProcess[]>(`${PROCESSES}${name}`, script, (out) =>
    out.split('\n').filter((l) => /^\d+ /.test(l)).map((l) => ({ pid: Number(l.slice(0, l.indexOf(' '))), command: l.slice(l.indexOf(' ') + 1) })),
  );
}
