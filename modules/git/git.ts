// git: a checkout of a repository at a branch, tag or commit. The remote's commit for the wanted
// version comes from `git ls-remote` (a fact read on the host), so a dry run knows whether an update
// would move HEAD; the diff is the commit before and after.
import { defineModule, PrepareError } from '../../engine/module.ts';
import { gitArgv, gitCheckoutFact, gitRemoteFact, type GitCheckoutFact, type GitRemoteFact, type GitRunAs } from './facts.ts';
import { fileKey, keysUnder } from '../../engine/facts/file.ts';
import { ancestors } from '../shared/new-path.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type Plan, type RunStep } from '../../engine/plan/types.ts';
import { Type } from '../../engine/schema.ts';

const params = Type.Object(
  {
    repo: Type.String({ pattern: '^[^-\\s]\\S*$', description: 'URL (or path) of the repository to clone: https://, git://, ssh:// or user@host:path.' }),
    dest: Type.String({ pattern: '^/', description: 'Absolute path of the checkout on the host. It must be absent, an empty directory, or a checkout.' }),
    version: Type.Optional(
      Type.String({
        pattern: '^[^-\\s]\\S*$',
        description: "Branch, tag, or commit (full or at least 7 hex digits) to check out. Default: the branch the remote's HEAD points to.",
      }),
    ),
    update: Type.Optional(Type.Boolean({ description: 'Fetch and move an existing checkout to the wanted version. false: only clone when missing. Default true.' })),
    depth: Type.Optional(Type.Integer({ minimum: 1, description: 'Shallow clone/fetch with this many commits of history. Needs a branch or tag version, not a commit.' })),
    force: Type.Optional(
      Type.Boolean({ description: 'Discard local modifications of tracked files (git reset --hard) when there are any. false: a checkout that needs an update and has local modifications is an error. Default false.' }),
    ),
  },
  { additionalProperties: false },
);

const HEX = /^[0-9a-f]{7,40}$/;

/** What the wanted version is, as far as the remote says. */
export interface Wanted {
  kind: 'branch' | 'tag' | 'commit' | 'head' | 'unknown';
  /** Branch or tag name, or the commit (possibly abbreviated) for kind commit. */
  name: string | null;
  /** The full commit, when known. */
  commit: string | null;
}

export function resolveVersion(version: string | undefined, remote: GitRemoteFact, repo: string): Wanted {
  const v = version === 'HEAD' ? undefined : version;
  if (!remote.ok) {
    if (remote.git) throw new PlanError(`cannot list the refs of ${repo}: ${remote.error}`);
    // git is not on the host yet (an earlier task installs it): the commit is unknown until then.
    if (v === undefined) return { kind: 'unknown', name: null, commit: null };
    return HEX.test(v) ? { kind: 'commit', name: v, commit: v.length === 40 ? v : null } : { kind: 'unknown', name: v, commit: null };
  }
  if (v === undefined) {
    const commit = remote.refs.HEAD ?? null;
    if (commit === null) throw new PlanError(`${repo} has no HEAD (an empty repository?): give a version`);
    return remote.headBranch ? { kind: 'branch', name: remote.headBranch, commit: remote.refs[`refs/heads/${remote.headBranch}`] ?? commit } : { kind: 'head', name: null, commit };
  }
  if (remote.refs[`refs/heads/${v}`]) return { kind: 'branch', name: v, commit: remote.refs[`refs/heads/${v}`]! };
  const tag = remote.refs[`refs/tags/${v}^{}`] ?? remote.refs[`refs/tags/${v}`];
  if (tag) return { kind: 'tag', name: v, commit: tag };
  if (HEX.test(v)) return { kind: 'commit', name: v, commit: v.length === 40 ? v : null };
  throw new PlanError(`version '${v}' is not a branch, tag or commit of ${repo}`);
}

/** HEAD is at the wanted commit (an abbreviated commit matches as a prefix). */
function atWanted(head: string | null, wanted: Wanted): boolean {
  if (head === null) return false;
  if (wanted.commit !== null) return head === wanted.commit;
  return wanted.kind === 'commit' && wanted.name !== null && head.startsWith(wanted.name);
}

/** git in the checkout, as the user the checkout fact says may run it there (see GitRunAs). */
const git = (runAs: GitRunAs, dest: string, ...args: string[]): RunStep => ({ kind: 'run', argv: gitArgv(runAs, ['-C', dest, ...args]) });

/** Who runs git at dest, or why nobody may: the fact decided it from the owners. */
function runner(current: GitCheckoutFact, dest: string): GitRunAs {
  if (current.runAs === null) throw new PlanError(`${dest}: who owns it is unknown, so git does not run there`);
  if (current.runAs.as === 'refused') throw new PlanError(`${dest}: git does not run there: ${current.runAs.why}`);
  return current.runAs;
}

function cloneSteps(p: { repo: string; dest: string; depth?: number }, wanted: Wanted, runAs: GitRunAs): RunStep[] {
  const depth = p.depth ? ['--depth', String(p.depth)] : [];
  const named = wanted.kind === 'branch' || wanted.kind === 'tag' || wanted.kind === 'unknown' ? wanted.name : null;
  // From /, as ls-remote lists it: a relative repo path means the same to both, and no folder the
  // session starts in (closed to the user, or inside a repository) matters.
  const clone: RunStep = { kind: 'run', argv: gitArgv(runAs, ['-C', '/', 'clone', '-q', ...depth, ...(named ? ['--branch', named] : []), '--', p.repo, p.dest]) };
  if (wanted.kind !== 'commit') return [clone];
  return [clone, git(runAs, p.dest, 'checkout', '-q', '--detach', wanted.name!)];
}

function updateSteps(p: { dest: string; depth?: number; force?: boolean }, wanted: Wanted, runAs: GitRunAs): RunStep[] {
  const depth = p.depth ? ['--depth', String(p.depth)] : [];
  const force = p.force ? ['--force'] : [];
  const g = (...args: string[]) => git(runAs, p.dest, ...args);
  const fetch = (...refspecs: string[]) => g('fetch', '-q', '--force', ...depth, 'origin', ...refspecs);
  switch (wanted.kind) {
    case 'branch': {
      const b = wanted.name!;
      return [fetch(`+refs/heads/${b}:refs/remotes/origin/${b}`), g('checkout', '-q', ...force, '-B', b, `refs/remotes/origin/${b}`)];
    }
    case 'tag': {
      const t = wanted.name!;
      return [fetch(`+refs/tags/${t}:refs/tags/${t}`), g('checkout', '-q', ...force, '--detach', `refs/tags/${t}`)];
    }
    case 'head':
      return [fetch('HEAD'), g('checkout', '-q', ...force, '--detach', 'FETCH_HEAD')];
    default:
      return [g('fetch', '-q', '--force', '--tags', 'origin'), g('checkout', '-q', ...force, '--detach', wanted.name!)];
  }
}

/** The checkout after the steps; it belongs to whoever ran them, so the same user runs git there next. */
function predicted(p: { repo: string }, wanted: Wanted, current: GitCheckoutFact, runAs: GitRunAs): GitCheckoutFact {
  return {
    state: 'dir',
    empty: false,
    repo: true,
    git: current.git,
    runAs,
    head: wanted.commit,
    branch: wanted.kind === 'branch' ? wanted.name : null,
    url: p.repo,
    dirty: false,
  };
}

export const gitModule = defineModule({
  name: 'git',
  summary: 'A checkout of a git repository at a branch, tag or commit; the diff is the commit before and after.',
  doc: [
    "Clones repo into dest when dest is absent or empty, and moves an existing checkout to `version`",
    "(a branch, a tag, or a commit) when its HEAD is elsewhere. The remote's commit for the version is",
    "read with `git ls-remote` on the host, so a dry run contacts the remote and says whether HEAD would",
    'move; an abbreviated commit is compared as a prefix of HEAD. A branch is checked out as a local',
    "branch reset to the remote's (checkout -B), a tag or commit as a detached HEAD. Without a version,",
    "the branch the remote's HEAD points to. A checkout whose origin URL differs gets the new URL.",
    'Local modifications of tracked files make an update fail unless force, which discards them (and',
    'also cleans a checkout that is at the right commit); untracked files are left alone. git must be',
    'on the host (an earlier apt task may install it; until then the commit to clone is unknown and the',
    "diff names the version). ssh remotes run in batch mode: their host key must be known already.",
    '',
    "git runs in a checkout only as the user who owns it (dest and dest/.git), so what the repository",
    'runs (hooks, core.fsmonitor, filters) never runs as root: as root (become), a checkout of another',
    'user is read and updated as that user (setpriv: their groups and home, a clean environment; their',
    "ssh keys fetch, while ls-remote runs as root), and a clone into a folder another user owns is made",
    'as them. Without become, a checkout of another user is an error, and so is a symlinked dest/.git.',
    '',
    "  git({ repo: 'https://github.com/simplex-chat/simplexmq.git', dest: '/opt/src/simplexmq', version: 'v6.3.0', depth: 1 })",
    "  git({ repo: 'git://10.77.0.1/app.git', dest: '/srv/app', version: 'main', force: true })",
  ].join('\n'),
  params,
  prepare(p) {
    if (p.depth !== undefined && p.version !== undefined && HEX.test(p.version)) {
      throw new PrepareError(`depth needs a branch or tag: a shallow fetch cannot reach commit '${p.version}'`, 'depth');
    }
  },
  facts: (p) => [gitCheckoutFact(p.dest), gitRemoteFact(p.repo, p.version)],
  plan(p, ctx): Plan {
    const checkout = gitCheckoutFact(p.dest);
    const current = ctx.facts.get(checkout);
    const remote = ctx.facts.get(gitRemoteFact(p.repo, p.version));
    const touched = [fileKey(p.dest), keysUnder(p.dest)];

    if (current.state === 'other') throw new PlanError(`${p.dest} exists and is not a directory`);
    if (current.state === 'dir' && !current.repo && !current.empty) throw new PlanError(`${p.dest} exists, is not empty and is not a git checkout`);

    if (current.state === 'absent' || !current.repo) {
      const runAs = runner(current, p.dest);
      const wanted = resolveVersion(p.version, remote, p.repo);
      const after = wanted.commit ?? wanted.name ?? 'HEAD';
      return {
        changes: [{ what: 'commit', before: '(absent)', after }],
        steps: cloneSteps(p, wanted, runAs),
        after: predictions(predict(checkout, predicted(p, wanted, { ...current, git: true }, runAs))),
        // A clone makes the folders above dest too: read again when a later task needs them.
        invalidates: [...touched, ...ancestors(p.dest).map((d) => fileKey(d))],
        msg: `clone ${p.repo} at ${wanted.name ?? 'HEAD'}${remote.git ? '' : ' (git is not on the host yet: the commit is known once it is)'}`,
        output: { before: null, after: wanted.commit },
      };
    }

    // Before the git check: a checkout git may not run in reads as one without git.
    const runAs = runner(current, p.dest);
    if (!current.git) throw new PlanError(`${p.dest} is a git checkout but git is not installed on the host: install it first (apt)`);
    if (p.update === false) return { changes: [], steps: [], msg: 'update is false: the checkout is left as it is', output: { before: current.head, after: current.head } };

    const wanted = resolveVersion(p.version, remote, p.repo);
    const changes: Change[] = [];
    const steps: RunStep[] = [];
    if (current.url !== p.repo) {
      changes.push({ what: 'remote url', before: current.url, after: p.repo });
      steps.push(git(runAs, p.dest, 'remote', current.url === null ? 'add' : 'set-url', 'origin', p.repo));
    }
    const moves = !atWanted(current.head, wanted);
    if (current.dirty) {
      if (!p.force && moves) throw new PlanError(`${p.dest} has local modifications: commit or discard them, or set force to discard them`);
      if (p.force) {
        changes.push({ what: 'local modifications', before: 'modified', after: 'discarded' });
        steps.push(git(runAs, p.dest, 'reset', '-q', '--hard', 'HEAD'));
      }
    }
    if (moves) {
      changes.push({ what: 'commit', before: current.head, after: wanted.commit ?? wanted.name });
      steps.push(...updateSteps(p, wanted, runAs));
    }
    if (changes.length === 0) return { changes: [], steps: [], output: { before: current.head, after: current.head } };
    return {
      changes,
      steps,
      after: predictions(predict(checkout, moves ? predicted(p, wanted, current, runAs) : { ...current, url: p.repo, dirty: false })),
      invalidates: moves ? touched : [],
      output: { before: current.head, after: moves ? wanted.commit : current.head },
    };
  },
});
