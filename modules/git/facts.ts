// Git state read with git itself: a checkout on the host (`git:DEST`: exists, is a repository, HEAD,
// origin's URL, local modifications) and what a remote offers (`git-remote:URL#VERSION`: the refs
// `git ls-remote` lists for the wanted version, read from the host, so it contacts the remote; that
// is how a dry run knows whether an update would change anything).
import { posix } from 'node:path';
import { quote } from '../../engine/quote.ts';
import { defineFact, type Fact } from '../../engine/facts/types.ts';

export interface GitCheckoutFact {
  /** absent: nothing at dest; dir: a directory; other: a file or something else. */
  state: 'absent' | 'dir' | 'other';
  /** The directory is empty (a clone may go there). */
  empty: boolean;
  /** dest/.git exists (a symbolic link counts: it is refused, see runAs). */
  repo: boolean;
  /** git is on the host (without it nothing below is known). */
  git: boolean;
  /** Who runs git in this checkout, or for a clone into it; null where git never runs (a file, a full folder). */
  runAs: GitRunAs | null;
  /** The commit checked out; null when unknown. */
  head: string | null;
  /** The branch checked out; null when detached or unknown. */
  branch: string | null;
  /** origin's URL; null when there is no origin. */
  url: string | null;
  /** Tracked files modified (untracked files do not count, as in Ansible). */
  dirty: boolean;
}

/**
 * Who may run git in a checkout. Reading a checkout runs code its config names (core.fsmonitor
 * during status, filter.X.clean for files .gitattributes marks, hooks on checkout...), so git runs
 * there only as the user who owns it, the rule git itself enforces (safe.directory is never
 * overridden): what the repository runs then runs with its owner's rights, which the owner has
 * anyway. Running as the owner, rather than reading HEAD, refs and config files without git,
 * because the dirty check and the updates need git itself.
 * - self: the checkout belongs to the user reading it (root for a root-owned checkout under become).
 * - user: it belongs to another user and the reader is root: git runs as that user (setpriv, with
 *   that user's groups, home and a clean environment), and so does a clone into a folder they own.
 * - refused: a symlinked .git, a folder and .git of two owners, an owner without an account, or a
 *   reader that is neither the owner nor root.
 */
export type GitRunAs = { as: 'self' } | { as: 'user'; uid: number; gid: number } | { as: 'refused'; why: string };

/**
 * The command that runs git as runAs decides. setpriv (util-linux, on every Debian) takes a numeric
 * uid, skips PAM, and --reset-env drops the caller's environment (GIT_*, SUDO_*) for the user's
 * HOME, USER, SHELL and a plain PATH. args start with -C: the caller's folder may be closed to the
 * user, or inside a repository.
 */
export function gitArgv(runAs: GitRunAs, args: readonly string[]): string[] {
  if (runAs.as === 'refused') throw new Error(`git may not run here: ${runAs.why}`);
  const as = runAs.as === 'self' ? [] : setprivArgv(String(runAs.uid), String(runAs.gid));
  return [...as, 'git', ...args];
}

/** uid and gid are numbers or, in the fact's script, shell text ("$ou") that expands to them. */
function setprivArgv(uid: string, gid: string): string[] {
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--reset-env', '--'];
}

/**
 * The owner is read with stat: dest followed if it is a symlink (git works in what it points to,
 * and re-checks the owner itself), dest/.git never (a symlinked .git is refused). A clone goes into
 * dest when it is an empty folder, else into the nearest folder above that exists.
 */
export function gitCheckoutFact(dest: string): Fact<GitCheckoutFact> {
  const script = [
    `d=${quote(dest)}`,
    // Nothing below depends on the folder the session started in (it may be inside someone's repository).
    'cd / || exit 1',
    'me=$(id -u)',
    // owner_runs UID clone|repo: prints runas= and defines g, git in dest as that. A clone may go
    // into a root-owned folder as anyone (/tmp: root's folders are root's to trust); a checkout may not.
    'owner_runs() {',
    '  if [ "$1" = "$me" ] || { [ "$2" = clone ] && [ "$1" = 0 ]; }; then echo runas=self; g() { git -C "$d" "$@"; }; return 0; fi',
    `  if [ "$me" != 0 ]; then echo "runas=refused:owned by uid $1: git runs only as a checkout's owner, or as root becoming the owner (use become)"; return 1; fi`,
    '  ou=$1; og=$(getent passwd "$ou" | cut -d: -f4)',
    `  case $og in ''|*[!0-9]*) echo "runas=refused:owned by uid $ou, which has no account to run git as"; return 1;; esac`,
    '  echo "runas=user:$ou:$og"',
    `  g() { ${setprivArgv('"$ou"', '"$og"').join(' ')} git -C "$d" "$@"; }`,
    '}',
    // One line per value: whatever a repository's code prints cannot add lines (keys such as runas).
    `kv() { printf '%s=%s\n' "$1" "$(printf '%s\n' "$2" | head -n 1)"; }`,
    `if [ ! -e "$d" ] && [ ! -L "$d" ]; then`,
    '  echo state=absent',
    '  p=$d; while [ ! -e "$p" ]; do p=$(dirname -- "$p"); done',
    '  owner_runs "$(stat -L -c %u -- "$p")" clone',
    '  exit 0',
    'fi',
    `if [ ! -d "$d" ]; then echo state=other; exit 0; fi`,
    `echo state=dir`,
    `[ -z "$(ls -A -- "$d")" ] && echo empty=yes`,
    `if [ -L "$d/.git" ]; then echo repo=yes; echo 'runas=refused:its .git is a symbolic link'; exit 0; fi`,
    `if [ ! -e "$d/.git" ]; then [ -z "$(ls -A -- "$d")" ] && owner_runs "$(stat -L -c %u -- "$d")" clone; exit 0; fi`,
    `echo repo=yes`,
    'od=$(stat -L -c %u -- "$d"); ogit=$(stat -c %u -- "$d/.git")',
    `[ "$od" = "$ogit" ] || { echo "runas=refused:it belongs to uid $od but its .git to uid $ogit"; exit 0; }`,
    'owner_runs "$od" repo || exit 0',
    `command -v git >/dev/null 2>&1 || exit 0`,
    `echo git=yes`,
    `kv head "$(g rev-parse -q --verify HEAD)"`,
    `kv branch "$(g symbolic-ref -q --short HEAD)"`,
    `kv url "$(g config --get remote.origin.url)"`,
    // Reading must not write: no index refresh (and no lock taken) for the dirty check.
    `[ -n "$(g --no-optional-locks status --porcelain --untracked-files=no)" ] && echo dirty=yes`,
    'exit 0',
  ].join('\n');
  // Keyed by the path normalized (no trailing slash), so spellings of one checkout share a key.
  const normal = posix.normalize(dest);
  return defineFact<GitCheckoutFact>(`git:${normal.length > 1 ? normal.replace(/\/+$/, '') : normal}`, script, (out) => parseCheckout(out));
}

export function parseCheckout(out: string): GitCheckoutFact {
  const kv = keyValues(out);
  const state = kv.get('state');
  if (state !== 'absent' && state !== 'dir' && state !== 'other') throw new Error(`cannot read the git checkout state: ${out.trim().slice(0, 200)}`);
  const head = kv.get('head') ?? '';
  return {
    state,
    empty: kv.get('empty') === 'yes',
    repo: kv.get('repo') === 'yes',
    git: kv.get('git') === 'yes',
    runAs: parseRunAs(kv.get('runas')),
    head: /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head) ? head : null,
    branch: kv.get('branch') || null,
    url: kv.get('url') || null,
    dirty: kv.get('dirty') === 'yes',
  };
}

function parseRunAs(text: string | undefined): GitRunAs | null {
  if (text === undefined) return null;
  if (text === 'self') return { as: 'self' };
  const user = /^user:(\d+):(\d+)$/.exec(text);
  if (user) return { as: 'user', uid: Number(user[1]), gid: Number(user[2]) };
  if (text.startsWith('refused:')) return { as: 'refused', why: text.slice('refused:'.length) };
  throw new Error(`cannot read who runs git in the checkout: ${text.slice(0, 200)}`);
}

export interface GitRemoteFact {
  /** git is on the host; without it the remote was not asked. */
  git: boolean;
  /** ls-remote succeeded. */
  ok: boolean;
  /** Its error output when it did not. */
  error?: string;
  /** The branch the remote's HEAD points to, when it says. */
  headBranch: string | null;
  /** Ref name -> commit, as listed (HEAD, refs/heads/X, refs/tags/X, refs/tags/X^{}). */
  refs: Record<string, string>;
}

export function gitRemoteKey(repo: string, version: string | undefined): string {
  return `git-remote:${repo}#${version ?? 'HEAD'}`;
}

/**
 * The remote's refs for HEAD and `version` (ls-remote matches patterns against ref name tails; the
 * peeled commit of an annotated tag, refs/tags/V^{}, only matches a pattern of its own).
 */
export function gitRemoteFact(repo: string, version: string | undefined): Fact<GitRemoteFact> {
  const patterns = ['HEAD', ...(version && version !== 'HEAD' ? [version, `${version}^{}`] : [])];
  const script = [
    // In /, not in the session's folder: ls-remote reads the config of a repository it starts in.
    'cd / || exit 1',
    `command -v git >/dev/null 2>&1 || { echo nogit; exit 0; }`,
    // No prompt may wait for an answer that never comes: no terminal, ssh in batch mode, a timeout.
    `out=$(GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND='ssh -o BatchMode=yes' timeout 120 git ls-remote --symref ${quote(repo)} ${patterns.map(quote).join(' ')} 2>&1)`,
    `rc=$?`,
    `printf 'rc=%s\\n%s\\n' "$rc" "$out"`,
  ].join('\n');
  return defineFact<GitRemoteFact>(gitRemoteKey(repo, version), script, (out) => parseRemote(out));
}

export function parseRemote(out: string): GitRemoteFact {
  if (out.trim() === 'nogit') return { git: false, ok: false, headBranch: null, refs: {} };
  const lines = out.split('\n');
  const rc = /^rc=(\d+)$/.exec(lines[0] ?? '');
  if (!rc) throw new Error(`cannot read git ls-remote's output: ${out.trim().slice(0, 200)}`);
  const body = lines.slice(1);
  if (rc[1] !== '0') return { git: true, ok: false, error: body.join('\n').trim() || `git ls-remote exited ${rc[1]}`, headBranch: null, refs: {} };
  const refs: Record<string, string> = {};
  let headBranch: string | null = null;
  for (const line of body) {
    const sym = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (sym) {
      headBranch = sym[1]!;
      continue;
    }
    const ref = /^([0-9a-f]{40,64})\t(\S+)$/.exec(line);
    if (ref) refs[ref[2]!] = ref[1]!;
  }
  return { git: true, ok: true, headBranch, refs };
}

function keyValues(out: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return kv;
}
