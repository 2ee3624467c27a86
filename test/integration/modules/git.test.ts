// git on a real Debian 12 host (node5): a repository published to the lab's git daemon with tags v1
// and v2 on two commits; clone at v1 (the full cycle proof), switch to v2 (changed, commit before and
// after in the --json changes), a second run is a no-op; local modifications stop an update unless force.
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

const HOST = 'node5';
const PLAYBOOK = 'test/fixtures/playbooks/modules/git.ts';
const NAME = 'shipshape-gittest';

/** A recipe for publishGitRepo: two commits, tagged v1 and v2, on main. */
const RECIPE = [
  'set -e',
  'git init -q -b main',
  'echo one > version.txt && git add version.txt && git commit -q -m one && git tag v1',
  'echo two > version.txt && git commit -q -am two && git tag -a -m "release two" v2',
].join('\n');

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
});
