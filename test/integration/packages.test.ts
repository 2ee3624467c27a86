// Issue 12 on fresh lab hosts (pkg1): a playbook installs nginx-light, ssl-cert and rsyslog and
// then edits, replaces and removes files they ship or their maintainer scripts make (see
// test/fixtures/playbooks/packages.ts). The dry run's statuses and changes equal the real run's,
// task for task, except tasks reported unknown, each naming its package; the dry run leaves
// nothing on the host (no scratch folder, no download, dpkg's and apt's state untouched).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engine, type CliResult } from './engine-cli.ts';
import { ensureLab, freshHosts } from './lab-fixture.ts';
import { sshRun } from '../lab/index.ts';
import { packageState as stateOf } from './package-state.ts';

const PB = 'test/fixtures/playbooks/packages.ts';
const HOST = 'pkg1';
let inventory: string;
const packageState = () => stateOf(HOST);

type Result = Record<string, any>;
const results = (r: CliResult): Result[] => r.events.filter((e) => e.type === 'task.result');

describe('dry run on a fresh host: what the packages it installs will put there', { timeout: 900_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
    await freshHosts(HOST);
  });

  test('dry run == real run task for task, except unknown (naming the package); the dry run leaves nothing behind', async () => {
    const args = (more: string[]) => ['run', PB, '-i', inventory, '--limit', HOST, '--json', '--diff', ...more];
    const untouched = await packageState();
    const started = Date.now();
    const dry = await engine(args(['--check']));
    const dryMs = Date.now() - started;
    assert.equal(dry.code, 0, dry.stdout.slice(-4000) + dry.stderr);
    assert.equal(await packageState(), untouched, 'dpkg, apt, the caches, users, units: as they were; no scratch folder, no .deb');

    const check = await engine(['check', PB, '-i', inventory, '--limit', HOST]);
    assert.equal(check.code, 2, 'engine check on the fresh host: not converged (changes pending, some unknown)');

    const real = await engine(args([]));
    assert.equal(real.code, 0, real.stdout.slice(-4000) + real.stderr);
    const planned = results(dry);
    const done = results(real);
    assert.deepEqual(planned.map((e) => e.task), done.map((e) => e.task), 'the dry run went through every task (none failed, the host did not stop)');

    const unknown: string[] = [];
    for (const [i, d] of planned.entries()) {
      const r = done[i]!;
      if (d.status === 'unknown') {
        unknown.push(d.task);
        assert.match(d.msg ?? '', /nginx|ssl-cert|rsyslog/, `${d.task}: the reason names the package`);
        continue;
      }
      assert.equal(d.status, r.status, `${d.task}: dry ${d.status}, real ${r.status}`);
      assert.deepEqual(d.changes, r.changes, `${d.task}: the dry run's changes (diffs included) are the real run's`);
    }
    assert.deepEqual(unknown, ['nginx: default site link removed', 'ssl-cert: snakeoil key removed', 'rsyslog: stopped and disabled'],
      'exactly what maintainer scripts make (a link, a key, a started unit) is unknown');
    const statusOf = (r: CliResult, task: string) => results(r).find((e) => e.task === task);
    for (const task of unknown) assert.equal(statusOf(real, task)?.status, 'changed', `${task}: the real run had something to do there`);
    const edit = statusOf(dry, 'nginx: two workers');
    assert.equal(edit?.status, 'changed', 'the edit of a packaged file is planned, not failed');
    assert.match(JSON.stringify(edit?.changes), /worker_processes auto;/, 'the diff is against the packaged file');
    const recapOf = dry.events.find((e) => e.type === 'recap');
    assert.equal(recapOf?.hosts[HOST].unknown, 3, 'the recap counts the unknown tasks');
    console.log(`dry run of the packages playbook on a fresh host: ${dryMs} ms`);

    const again = await engine(args([]));
    assert.deepEqual(results(again).filter((e) => e.status !== 'ok').map((e) => `${e.task} ${e.status}`), [], 'the second run changes nothing');
  });

  // Issue 16 defects 2 and 3 (pkg2): wget brought in with its dependencies marked automatic, then
  // removed. Before the fixes the dry run of `after` said autoremove ok (the real run removed
  // libpsl5 and publicsuffix), and `same` reported wget alone in both runs.
  for (const mode of ['after', 'same'] as const) {
    test(`autoremove ${mode === 'after' ? 'after a removal' : 'in the removing task'}: the dry run names what the real run removes`, async () => {
      const host = 'pkg2';
      await freshHosts(host);
      await sshRun(host, 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget >/dev/null && apt-mark auto libpsl5 publicsuffix >/dev/null', { user: 'root', check: true });
      const args = (more: string[]) => ['run', 'test/fixtures/playbooks/apt-autoremove.ts', '-i', inventory, '--limit', host, '--json', '-e', `mode=${mode}`, ...more];
      const dry = await engine(args(['--check']));
      assert.equal(dry.code, 0, dry.stdout.slice(-3000) + dry.stderr);
      const real = await engine(args([]));
      assert.equal(real.code, 0, real.stdout.slice(-3000) + real.stderr);
      const summary = (r: CliResult) => results(r).filter((e) => e.status !== 'skipped').map((e) => ({ task: e.task, status: e.status, changes: e.changes }));
      assert.deepEqual(summary(dry), summary(real), 'the dry run says what the real run did, task for task');
      const removed = summary(real).flatMap((t) => t.changes.map((c: { what: string }) => c.what));
      assert.ok(removed.includes('package libpsl5') && removed.includes('package publicsuffix'), `libpsl5 and publicsuffix are reported: ${removed.join(', ')}`);
      const left = await sshRun(host, "dpkg-query -W -f '${Package} ${Status}\\n' wget libpsl5 publicsuffix 2>/dev/null | grep -c ' installed$'; true", { user: 'root' });
      assert.equal(left.stdout.trim(), '0', 'all three are gone');
    });
  }
});

