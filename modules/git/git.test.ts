import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { gitCheckoutFact, gitRemoteKey, parseCheckout, parseRemote, gitRemoteFact, type GitCheckoutFact, type GitRemoteFact, type GitRunAs } from './facts.ts';
import { fileFact, keysUnder } from '../../engine/facts/file.ts';
import { PrepareError } from '../../engine/module.ts';
import { renderRun } from '../../engine/plan/render.ts';
import { PlanError, type RunStep } from '../../engine/plan/types.ts';
import { git } from '../index.ts';
import { planWith, predicted } from '../../test/unit/modules/fake-facts.ts';

const REPO = 'git://10.77.0.1/app.git';
const DEST = '/srv/app';
const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const TAGOBJ = 'a'.repeat(40);
const SELF: GitRunAs = { as: 'self' };
const ALICE: GitRunAs = { as: 'user', uid: 1001, gid: 1002 };
/** How git starts when it runs as alice (uid 1001, primary group 1002). */
const AS_ALICE = ['setpriv', '--reuid=1001', '--regid=1002', '--init-groups', '--reset-env', '--', 'git'];

const checkout = (f: Partial<GitCheckoutFact>): Record<string, GitCheckoutFact> => ({
  [gitCheckoutFact(DEST).key]: { state: 'dir', empty: false, repo: true, git: true, runAs: SELF, head: C1, branch: 'main', url: REPO, dirty: false, ...f },
});
const absent = checkout({ state: 'absent', repo: false, head: null, branch: null, url: null });
const remote = (version: string | undefined, r: Partial<GitRemoteFact> = {}): Record<string, GitRemoteFact> => ({
  [gitRemoteKey(REPO, version)]: {
    git: true, ok: true, headBranch: 'main',
    refs: { HEAD: C2, 'refs/heads/main': C2, 'refs/heads/dev': C1, 'refs/tags/v1': C1, 'refs/tags/v2': TAGOBJ, 'refs/tags/v2^{}': C2 },
    ...r,
  },
});
const argvs = (steps: unknown[]) => (steps as RunStep[]).map((s) => s.argv);

describe('git facts', () => {
  it('parses a checkout', () => {
    assert.deepEqual(parseCheckout(`state=dir\nrepo=yes\nrunas=self\ngit=yes\nhead=${C1}\nbranch=\nurl=${REPO}\ndirty=yes\n`), {
      state: 'dir', empty: false, repo: true, git: true, runAs: SELF, head: C1, branch: null, url: REPO, dirty: true,
    });
    assert.deepEqual(parseCheckout('state=absent\n').state, 'absent');
    assert.throws(() => parseCheckout('garbage'), /cannot read/);
  });

  it('parses ls-remote --symref output, failures and a host without git', () => {
    const f = parseRemote(`rc=0\nref: refs/heads/main\tHEAD\n${C2}\tHEAD\n${TAGOBJ}\trefs/tags/v2\n${C2}\trefs/tags/v2^{}\n`);
    assert.deepEqual(f, { git: true, ok: true, headBranch: 'main', refs: { HEAD: C2, 'refs/tags/v2': TAGOBJ, 'refs/tags/v2^{}': C2 } });
    assert.deepEqual(parseRemote('rc=128\nfatal: unable to connect\n'), { git: true, ok: false, error: 'fatal: unable to connect', headBranch: null, refs: {} });
    assert.equal(parseRemote('nogit\n').git, false);
  });

  it('who runs git: self, another user (uid and primary gid), refused with the reason; unknown when not said', () => {
    assert.deepEqual(parseCheckout('state=dir\nrepo=yes\nrunas=user:1001:1002\n').runAs, ALICE);
    assert.deepEqual(parseCheckout('state=dir\nrepo=yes\nrunas=refused:its .git is a symbolic link\n').runAs, { as: 'refused', why: 'its .git is a symbolic link' });
    assert.equal(parseCheckout('state=other\n').runAs, null);
    assert.throws(() => parseCheckout('state=dir\nrunas=user:x:1\n'), /who runs git/);
  });

  it('a HEAD that is not a commit (what a repository hook printed) is unknown', () => {
    assert.equal(parseCheckout(`state=dir\nrepo=yes\nrunas=self\ngit=yes\nhead=hello${C1}\n`).head, null);
  });

  it("the checkout's script never overrides git's ownership check, switches to the owner, and reads without writing", () => {
    const script = gitCheckoutFact(DEST).script;
    assert.doesNotMatch(script, /safe\.directory/);
    assert.match(script, /setpriv --reuid="\$ou" --regid="\$og" --init-groups --reset-env -- git -C "\$d"/);
    assert.match(script, /stat -c %u -- "\$d\/\.git"/, '.git is not followed');
    assert.match(script, /-L "\$d\/\.git"/, 'a symlinked .git is looked for');
    assert.match(script, /--no-optional-locks status/);
    assert.match(script, /^cd \/ /m);
  });

  it('asks for the version and its peeled tag, quoted', () => {
    const script = gitRemoteFact("git://h/x'y.git", 'v2').script;
    assert.match(script, /ls-remote --symref 'git:\/\/h\/x'\\''y\.git' HEAD v2 'v2\^\{\}'/);
    assert.match(script, /GIT_TERMINAL_PROMPT=0/);
    // Not in the session's folder, which may be inside a repository whose config ls-remote would read.
    assert.match(script, /^cd \/ /m);
  });
});

describe('git', () => {
  it('clones into an absent dest at a tag: the commit from ls-remote, a predicted checkout', async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...absent, ...remote('v1') });
    assert.deepEqual(plan.changes, [{ what: 'commit', before: '(absent)', after: C1 }]);
    assert.deepEqual(argvs(plan.steps), [['git', '-C', '/', 'clone', '-q', '--branch', 'v1', '--', REPO, DEST]]);
    assert.deepEqual(predicted(plan, gitCheckoutFact(DEST)), { state: 'dir', empty: false, repo: true, git: true, runAs: SELF, head: C1, branch: null, url: REPO, dirty: false });
    assert.deepEqual(plan.invalidates, [fileFact(DEST).key, keysUnder(DEST), fileFact('/srv').key], 'the folders above dest are read again: the clone may make them');
  });

  it('clones a shallow branch; a commit is cloned then checked out detached', async () => {
    const shallow = await planWith(git, { repo: REPO, dest: DEST, version: 'dev', depth: 1 }, { ...absent, ...remote('dev') });
    assert.deepEqual(argvs(shallow.steps), [['git', '-C', '/', 'clone', '-q', '--depth', '1', '--branch', 'dev', '--', REPO, DEST]]);
    const commit = await planWith(git, { repo: REPO, dest: DEST, version: C1.slice(0, 8) }, { ...absent, ...remote(C1.slice(0, 8)) });
    assert.deepEqual(argvs(commit.steps), [['git', '-C', '/', 'clone', '-q', '--', REPO, DEST], ['git', '-C', DEST, 'checkout', '-q', '--detach', C1.slice(0, 8)]]);
  });

  it("no version: the remote HEAD's branch", async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST }, { ...absent, ...remote(undefined) });
    assert.deepEqual(plan.changes, [{ what: 'commit', before: '(absent)', after: C2 }]);
    assert.deepEqual(argvs(plan.steps), [['git', '-C', '/', 'clone', '-q', '--branch', 'main', '--', REPO, DEST]]);
  });

  it('git not on the host yet (an earlier task installs it): a clone of the named version, commit unknown', async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...checkout({ state: 'absent', repo: false, git: false, head: null }), ...remote('v1', { git: false, ok: false, refs: {}, headBranch: null }) });
    assert.deepEqual(plan.changes, [{ what: 'commit', before: '(absent)', after: 'v1' }]);
    assert.deepEqual(argvs(plan.steps), [['git', '-C', '/', 'clone', '-q', '--branch', 'v1', '--', REPO, DEST]]);
    assert.match(plan.msg ?? '', /git is not on the host yet/);
  });

  it('converged: HEAD at the tag (annotated: compared with the peeled commit), at a branch, at an abbreviated commit', async () => {
    for (const [version, head] of [['v2', C2], ['main', C2], ['v1', C1], [C1.slice(0, 7), C1], [C1, C1]] as const) {
      const plan = await planWith(git, { repo: REPO, dest: DEST, version }, { ...checkout({ head }), ...remote(version) });
      assert.deepEqual(plan.changes, [], `version ${version}`);
      assert.deepEqual(plan.steps, []);
    }
  });

  it('moves to another tag: fetch the tag, detached checkout, before/after commits', async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: 'v2' }, { ...checkout({ head: C1, branch: null }), ...remote('v2') });
    assert.deepEqual(plan.changes, [{ what: 'commit', before: C1, after: C2 }]);
    assert.deepEqual(argvs(plan.steps), [
      ['git', '-C', DEST, 'fetch', '-q', '--force', 'origin', '+refs/tags/v2:refs/tags/v2'],
      ['git', '-C', DEST, 'checkout', '-q', '--detach', 'refs/tags/v2'],
    ]);
    assert.equal(predicted(plan, gitCheckoutFact(DEST))!.head, C2);
    assert.deepEqual(plan.output, { before: C1, after: C2 });
  });

  it('moves a branch to the remote tip (shallow: the fetch keeps the depth)', async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: 'main', depth: 5 }, { ...checkout({ head: C1 }), ...remote('main') });
    assert.deepEqual(argvs(plan.steps), [
      ['git', '-C', DEST, 'fetch', '-q', '--force', '--depth', '5', 'origin', '+refs/heads/main:refs/remotes/origin/main'],
      ['git', '-C', DEST, 'checkout', '-q', '-B', 'main', 'refs/remotes/origin/main'],
    ]);
  });

  it('update false leaves an existing checkout alone', async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: 'v2', update: false }, { ...checkout({ head: C1 }), ...remote('v2') });
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.steps, []);
  });

  it('a new origin URL is set', async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...checkout({ url: 'git://old/app.git' }), ...remote('v1') });
    assert.deepEqual(plan.changes, [{ what: 'remote url', before: 'git://old/app.git', after: REPO }]);
    assert.deepEqual(argvs(plan.steps), [['git', '-C', DEST, 'remote', 'set-url', 'origin', REPO]]);
  });

  it('local modifications: an update is refused without force; force discards them', async () => {
    const dirty = { ...checkout({ head: C1, dirty: true }), ...remote('v2') };
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'v2' }, dirty), (e: Error) => e instanceof PlanError && /local modifications/.test(e.message));
    const forced = await planWith(git, { repo: REPO, dest: DEST, version: 'v2', force: true }, dirty);
    assert.deepEqual(forced.changes.map((c) => c.what), ['local modifications', 'commit']);
    assert.deepEqual(argvs(forced.steps)[0], ['git', '-C', DEST, 'reset', '-q', '--hard', 'HEAD']);
    assert.deepEqual(argvs(forced.steps)[2], ['git', '-C', DEST, 'checkout', '-q', '--force', '--detach', 'refs/tags/v2']);
    // At the wanted commit, modifications are only touched with force.
    const stay = await planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...checkout({ head: C1, dirty: true }), ...remote('v1') });
    assert.deepEqual(stay.changes, []);
  });

  it('errors: unknown version, unreachable remote, a non-empty folder, a file, git missing with a checkout, depth with a commit', async () => {
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'nope' }, { ...absent, ...remote('nope') }), /'nope' is not a branch, tag or commit/);
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...absent, ...remote('v1', { ok: false, error: 'fatal: unreachable' }) }), /cannot list the refs.*unreachable/);
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...checkout({ repo: false, empty: false }), ...remote('v1') }), /not empty and is not a git checkout/);
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...checkout({ state: 'other', repo: false }), ...remote('v1') }), /not a directory/);
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...checkout({ git: false, head: null }), ...remote('v1', { git: false, ok: false }) }), /git is not installed/);
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: C1, depth: 1 }, {}), (e: Error) => e instanceof PrepareError && e.field === 'depth');
  });

  it("another user's checkout: every git command runs as that user, and the prediction keeps them", async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: 'v2', force: true }, { ...checkout({ runAs: ALICE, head: C1, dirty: true, url: 'git://old/app.git' }), ...remote('v2') });
    assert.deepEqual(argvs(plan.steps), [
      [...AS_ALICE, '-C', DEST, 'remote', 'set-url', 'origin', REPO],
      [...AS_ALICE, '-C', DEST, 'reset', '-q', '--hard', 'HEAD'],
      [...AS_ALICE, '-C', DEST, 'fetch', '-q', '--force', 'origin', '+refs/tags/v2:refs/tags/v2'],
      [...AS_ALICE, '-C', DEST, 'checkout', '-q', '--force', '--detach', 'refs/tags/v2'],
    ]);
    assert.deepEqual(predicted(plan, gitCheckoutFact(DEST))!.runAs, ALICE);
    const branch = await planWith(git, { repo: REPO, dest: DEST, version: 'main' }, { ...checkout({ runAs: ALICE, head: C1 }), ...remote('main') });
    assert.ok(argvs(branch.steps).every((a) => a.join(' ').startsWith(AS_ALICE.join(' '))), JSON.stringify(argvs(branch.steps)));
  });

  it("a clone into a folder another user owns is made as them (a commit's checkout too)", async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: C1 }, { ...checkout({ state: 'absent', repo: false, head: null, runAs: ALICE }), ...remote(C1) });
    assert.deepEqual(argvs(plan.steps), [
      [...AS_ALICE, '-C', '/', 'clone', '-q', '--', REPO, DEST],
      [...AS_ALICE, '-C', DEST, 'checkout', '-q', '--detach', C1],
    ]);
    assert.deepEqual(predicted(plan, gitCheckoutFact(DEST))!.runAs, ALICE);
  });

  it('a checkout git may not run in is an error naming why, not a checkout without git', async () => {
    const refused = (why: string) => checkout({ runAs: { as: 'refused', why }, git: false, head: null, branch: null, url: null });
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...refused('its .git is a symbolic link'), ...remote('v1') }), (e: Error) => e instanceof PlanError && /\/srv\/app: git does not run there: its \.git is a symbolic link/.test(e.message));
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...refused('owned by uid 1001: use become'), ...remote('v1') }), /git does not run there: owned by uid 1001/);
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...checkout({ state: 'absent', repo: false, head: null, runAs: { as: 'refused', why: 'owned by uid 7, which has no account to run git as' } }), ...remote('v1') }), /no account/);
  });

  it('an empty folder is cloned into', async () => {
    const plan = await planWith(git, { repo: REPO, dest: DEST, version: 'v1' }, { ...checkout({ repo: false, empty: true, head: null }), ...remote('v1') });
    assert.equal(argvs(plan.steps)[0]![3], 'clone');
  });

  it('hostile repo and dest are single arguments on the wire', async () => {
    const dest = "/srv/a b;'$(x)";
    const repo = "git://h/$(reboot)';x.git";
    const plan = await planWith(git, { repo, dest, version: 'v1' }, {
      [gitCheckoutFact(dest).key]: { state: 'absent', empty: false, repo: false, git: true, runAs: SELF, head: null, branch: null, url: null, dirty: false },
      [gitRemoteKey(repo, 'v1')]: { git: true, ok: true, headBranch: null, refs: { 'refs/tags/v1': C1 } },
    });
    assert.equal(renderRun(plan.steps[0] as RunStep).body, `git -C / clone -q --branch v1 -- 'git://h/$(reboot)'\\'';x.git' '/srv/a b;'\\''$(x)'`);
  });

  it('refuses option-like values', async () => {
    await assert.rejects(planWith(git, { repo: '--upload-pack=x', dest: DEST }, {}), /invalid params/);
    await assert.rejects(planWith(git, { repo: REPO, dest: DEST, version: '-b' }, {}), /invalid params/);
  });
});
