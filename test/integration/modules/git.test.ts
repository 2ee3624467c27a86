// git on a real Debian 12 host (node5): a repository published to the lab's git daemon with tags v1
// and v2 on two commits; clone at v1 (the full cycle proof), switch to v2 (changed, commit before and
// after in the --json changes), a second run is a no-op; local modifications stop an update unless force.
// A checkout owned by an unprivileged user, whose config and hooks run commands (core.fsmonitor, a
// clean/smudge filter, post-checkout): read and updated, what it runs runs as that user, never as root.
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { labPaths, publishGitRepo, sshRun } from '../../lab/index.ts';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { TWO_TAGS_RECIPE as RECIPE } from '../../fixtures/git-two-tags.ts';

const HOST = 'node5';
const PLAYBOOK = 'test/fixtures/playbooks/modules/git.ts';
const NAME = 'shipshape-gittest';
/** One argument for a POSIX shell. */
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;


let url: string;
let v1: string;
let v2: string;

describe('git module on a lab host', { timeout: 600_000 }, () => {
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
    const src = mkdtempSync(join(tmpdir(), 'gittest-recipe-'));
    writeFileSync(join(src, 'build.sh'), RECIPE);
    url = await publishGitRepo(NAME, src);
    const refs = execFileSync('git', ['ls-remote', url], { encoding: 'utf8' });
    const ref = (name: string) => new RegExp(`^([0-9a-f]{40})\\t${name.replace(/[\^{}]/g, '\\$&')}$`, 'm').exec(refs)?.[1];
    v1 = ref('refs/tags/v1')!;
    v2 = ref('refs/tags/v2^{}')!;
    assert.ok(v1 && v2 && v1 !== v2, `two tagged commits:\n${refs}`);
  });

  const head = async () => (await sshRun(HOST, 'git -C /srv/gittest rev-parse HEAD', { user: 'root' })).stdout.trim();
  const run = (args: string[]) => engine(['run', PLAYBOOK, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', `repo=${url}`, ...args]);

  it('clones at v1 on a fresh host: the dry run predicts the install and the clone, the second run is a no-op', async () => {
    const cycle = await applyCycle(PLAYBOOK, { limit: HOST, extra: ['-e', `repo=${url}`, '-e', 'version=v1'] });
    assert.deepEqual(cycle.changed, [`${HOST} checkout`, `${HOST} install git`]);
    assert.equal(await head(), v1);
    // The dry run reads the host before apt installs git, so it cannot ask the remote: it names the
    // version. (The real run does too while apt does not invalidate the git facts; HEAD says the rest.)
    const planned = cycle.dry.events.find((e) => e.type === 'task.result' && e.task === 'checkout');
    assert.deepEqual(planned?.changes, [{ what: 'commit', before: '(absent)', after: 'v1' }]);
    const clone = cycle.real.events.find((e) => e.type === 'task.result' && e.task === 'checkout');
    assert.ok([v1, 'v1'].includes(clone?.changes?.[0]?.after), JSON.stringify(clone?.changes));
  });

  it('switches to the annotated tag v2: changed with the commits before and after, then converged', async () => {
    const cycle = await applyCycle(PLAYBOOK, { limit: HOST, extra: ['-e', `repo=${url}`, '-e', 'version=v2'] });
    assert.deepEqual(cycle.changed, [`${HOST} checkout`]);
    const moved = cycle.real.events.find((e) => e.type === 'task.result' && e.task === 'checkout');
    assert.deepEqual(moved?.changes, [{ what: 'commit', before: v1, after: v2 }]);
    assert.equal(await head(), v2);
    assert.equal((await sshRun(HOST, 'cat /srv/gittest/version.txt', { user: 'root' })).stdout, 'two\n');
  });

  it('a commit version by its abbreviation, and local modifications: refused without force, discarded with it', async () => {
    await sshRun(HOST, 'echo local > /srv/gittest/version.txt', { user: 'root' });
    const refused = await run(['-e', `version=${v1.slice(0, 10)}`]);
    assert.notEqual(refused.code, 0);
    const failed = refused.events.find((e) => e.type === 'task.result' && e.task === 'checkout');
    assert.equal(failed?.status, 'failed');
    assert.match(failed?.msg ?? '', /local modifications/);
    assert.equal(await head(), v2, 'HEAD did not move');
    assert.equal((await sshRun(HOST, 'cat /srv/gittest/version.txt', { user: 'root' })).stdout, 'local\n', 'the modification is still there');

    const forced = await run(['-e', `version=${v1.slice(0, 10)}`, '-e', 'force=true']);
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    assert.deepEqual(pairs(forced, 'changed'), [`${HOST} checkout`]);
    assert.equal(await head(), v1);
    assert.equal((await sshRun(HOST, 'cat /srv/gittest/version.txt', { user: 'root' })).stdout, 'one\n');
    const again = await run(['-e', `version=${v1.slice(0, 10)}`, '-e', 'force=true']);
    assert.deepEqual(pairs(again, 'changed'), [], 'an abbreviated commit HEAD is at converges');
  });
  /**
   * USER clones v1 into a folder of theirs and arms it: every command the repository can make git
   * run (core.fsmonitor and the clean filter during status, the smudge filter and post-checkout on
   * checkout) appends the uid it runs as to a canary file. Then a dry run and real runs to v2 with
   * force: the facts are right, and every canary shows USER's uid, never root's.
   */
  async function armedCheckoutOf(user: string): Promise<void> {
    const dest = `/srv/${user}-owned/app`;
    const canary = `/tmp/gitcanary-${user}`;
    const setup = [
      'set -e',
      `id ${user} >/dev/null 2>&1 || useradd -m -s /bin/sh ${user}`,
      `rm -rf /srv/${user}-owned ${canary} && install -d -m 1777 ${canary} && install -d -o ${user} -g ${user} /srv/${user}-owned`,
      `runuser -u ${user} -- sh -e -c ${shq([
        `cd /srv/${user}-owned`,
        `git clone -q --branch v1 ${url} app`,
        'cd app',
        `git config core.fsmonitor 'id -u >> ${canary}/fsmonitor; exit 1'`,
        `git config filter.canary.clean 'sh -c "id -u >> ${canary}/filter; cat"'`,
        `git config filter.canary.smudge 'sh -c "id -u >> ${canary}/filter; cat"'`,
        "echo 'version.txt filter=canary' > .gitattributes",
        `printf '#!/bin/sh\\nid -u >> ${canary}/hook\\n' > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout`,
        // The same size as 'one': git must read the content to see the change, through the clean filter.
        'echo ONE > version.txt',
      ].join('\n'))}`,
      `rm -f ${canary}/*`,
      `id -u ${user}`,
    ].join('\n');
    const made = await sshRun(HOST, setup, { user: 'root' });
    assert.equal(made.code, 0, made.stderr);
    const uid = made.stdout.trim();
    assert.match(uid, /^[1-9]\d*$/);
    /** The uids each canary recorded, by canary. */
    const canaries = async () => {
      const out = (await sshRun(HOST, `cd ${canary} && for f in *; do [ -f "$f" ] && printf "%s %s\\n" "$f" "$(sort -u "$f" | tr "\\n" " ")"; done; true`, { user: 'root' })).stdout;
      return Object.fromEntries(out.trim().split('\n').filter(Boolean).map((l) => [l.split(' ')[0]!, l.split(' ').slice(1).filter(Boolean)]));
    };
    const args = ['-e', `dest=${dest}`, '-e', 'version=v2', '-e', 'force=true'];

    // The dry run reads HEAD (v1) and the local modification right, as USER.
    const dry = await run([...args, '--check']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    const planned = dry.events.find((e) => e.type === 'task.result' && e.task === 'checkout');
    assert.deepEqual(planned?.changes, [
      { what: 'local modifications', before: 'modified', after: 'discarded' },
      { what: 'commit', before: v1, after: v2 },
    ]);
    const read = await canaries();
    assert.deepEqual(read.fsmonitor, [uid], `status ran core.fsmonitor as ${user} only: ${JSON.stringify(read)}`);
    assert.deepEqual(read.filter, [uid], `status ran the clean filter as ${user} only: ${JSON.stringify(read)}`);
    assert.equal(read.hook, undefined, 'a dry run checks nothing out');

    // The real run discards the modification and moves to v2, every git command as USER.
    const real = await run(args);
    assert.equal(real.code, 0, real.stdout + real.stderr);
    assert.deepEqual(pairs(real, 'changed'), [`${HOST} checkout`]);
    const after = await canaries();
    assert.deepEqual(after, { fsmonitor: [uid], filter: [uid], hook: [uid] }, `the hook, filters and fsmonitor ran, and only as ${user}`);
    // At v2, and what git wrote belongs to USER still.
    const state = await sshRun(HOST, `cd ${dest} && runuser -u ${user} -- git rev-parse HEAD && cat version.txt && stat -c %U version.txt .git/index .git/HEAD | sort -u`, { user: 'root' });
    assert.equal(state.stdout, `${v2}\ntwo\n${user}\n`, state.stderr);

    const again = await run(args);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(pairs(again, 'changed'), []);
    assert.deepEqual(await canaries(), { fsmonitor: [uid], filter: [uid], hook: [uid] });
  }

  it("an unprivileged user's checkout: its fsmonitor, filters and hook run as that user, in the dry run and the real one", async () => {
    await armedCheckoutOf('gitowner');
  });

  it("the login user's checkout (root's git trusts it under sudo): its code runs as that user too, never as root", async () => {
    // deploy needs a password for sudo: code it plants in its own checkout must not get root without it.
    await armedCheckoutOf('deploy');
  });
});
