// A user's authorized_keys file and its folder, keyed `authorized_keys:USER` (or
// `authorized_keys:USER:PATH` for a given path). The default path depends on the user's home,
// which only the host knows: the script resolves it with getent and reads both paths with the
// same reading as fileFact (ss_file_fact), so the module can plan the folder and the file in one
// round trip.
import { posix } from 'node:path';
import { quote } from '../../engine/quote.ts';
import { ABSENT_FILE, parseFileFact, type FileFact } from '../../engine/facts/file.ts';
import { defineFact, type Fact } from '../../engine/facts/types.ts';

export interface AuthorizedKeysFact {
  /** The user's home as getent reports it; null when the host does not know the user. */
  home: string | null;
  /** The primary group's name; null when the user is unknown. */
  group: string | null;
  /** The folder holding the file (~/.ssh), and the file. */
  dir: FileFact;
  file: FileFact;
}

export function authorizedKeysFact(user: string, path?: string): Fact<AuthorizedKeysFact> {
  const u = quote(user);
  const script = [
    `entry=$(getent passwd -- ${u}) || { echo nouser; exit 0; }`,
    `home=$(printf '%s\\n' "$entry" | cut -d: -f6)`,
    `printf 'home=%s\\n' "$home"`,
    `printf 'group=%s\\n' "$(id -gn -- ${u})"`,
    path ? `f=${quote(path)}` : `f="$home/.ssh/authorized_keys"`,
    'echo @@dir',
    'ss_file_fact "$(dirname -- "$f")"',
    'echo @@file',
    'ss_file_fact "$f"',
  ].join('\n');
  return defineFact<AuthorizedKeysFact>(path ? `authorized_keys:${user}:${path}` : `authorized_keys:${user}`, script, (out, code) => parseAuthorizedKeys(user, out, code, path));
}

export function parseAuthorizedKeys(user: string, out: string, code: number, path?: string): AuthorizedKeysFact {
  if (out.startsWith('nouser')) return { home: null, group: null, dir: { ...ABSENT_FILE }, file: { ...ABSENT_FILE } };
  const d = out.indexOf('@@dir\n');
  const f = out.indexOf('@@file\n');
  if (d < 0 || f < 0) throw new Error(`cannot read the authorized keys of ${user} (exit ${code})`);
  const head = out.slice(0, d).split('\n');
  const value = (k: string) => head.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1) || null;
  const home = value('home');
  const file = path ?? posix.join(home ?? '/', '.ssh/authorized_keys');
  return {
    home,
    group: value('group'),
    dir: parseFileFact(posix.dirname(file), out.slice(d + 6, f), 0),
    file: parseFileFact(file, out.slice(f + 7), 0),
  };
}
