// Git state read with git itself: a checkout on the host (`git:DEST`: exists, is a repository, HEAD,
// origin's URL, local modifications) and what a remote offers (`git-remote:URL#VERSION`: the refs
// `git ls-remote` lists for the wanted version, read from the host, so it contacts the remote; that
// is how a dry run knows whether an update would change anything).
import { posix } from 'node:path';
import { quote } from '../quote.ts';
import { defineFact, type Fact } from './types.ts';

export interface GitCheckoutFact {
  /** absent: nothing at dest; dir: a directory; other: a file or something else. */
  state: 'absent' | 'dir' | 'other';
  /** The directory is empty (a clone may go there). */
  empty: boolean;
  /** dest/.git exists. */
  repo: boolean;
  /** git is on the host (without it nothing below is known). */
  git: boolean;
  /** The commit checked out; null when unknown. */
  head: string | null;
  /** The branch checked out; null when detached or unknown. */
  branch: string | null;
  /** origin's URL; null when there is no origin. */
  url: string | null;
  /** Tracked files modified (untracked files do not count, as in Ansible). */
  dirty: boolean;
}

export function gitCheckoutKey(dest: string): string {
  const normal = posix.normalize(dest);
  return `git:${normal.length > 1 ? normal.replace(/\/+$/, '') : normal}`;
}

export function gitCheckoutFact(dest: string): Fact<GitCheckoutFact> {
  const script = [
    `d=${quote(dest)}`,
    `if [ ! -e "$d" ] && [ ! -L "$d" ]; then echo state=absent; exit 0; fi`,
    `if [ ! -d "$d" ]; then echo state=other; exit 0; fi`,
    `echo state=dir`,
    `[ -z "$(ls -A -- "$d")" ] && echo empty=yes`,
    `[ -e "$d/.git" ] || exit 0`,
    `echo repo=yes`,
    `command -v git >/dev/null 2>&1 || exit 0`,
    `echo git=yes`,
    // The checkout may belong to another user than the one reading it (root under become).
    `g() { git -c safe.directory="$d" -C "$d" "$@"; }`,
    `printf 'head=%s\\n' "$(g rev-parse -q --verify HEAD)"`,
    `printf 'branch=%s\\n' "$(g symbolic-ref -q --short HEAD)"`,
    `printf 'url=%s\\n' "$(g config --get remote.origin.url)"`,
    `[ -n "$(g status --porcelain --untracked-files=no)" ] && echo dirty=yes`,
    'exit 0',
  ].join('\n');
  return defineFact<GitCheckoutFact>(gitCheckoutKey(dest), script, (out) => parseCheckout(out));
}

export function parseCheckout(out: string): GitCheckoutFact {
  const kv = keyValues(out);
  const state = kv.get('state');
  if (state !== 'absent' && state !== 'dir' && state !== 'other') throw new Error(`cannot read the git checkout state: ${out.trim().slice(0, 200)}`);
  return {
    state,
    empty: kv.get('empty') === 'yes',
    repo: kv.get('repo') === 'yes',
    git: kv.get('git') === 'yes',
    head: kv.get('head') || null,
    branch: kv.get('branch') || null,
    url: kv.get('url') || null,
    dirty: kv.get('dirty') === 'yes',
  };
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
