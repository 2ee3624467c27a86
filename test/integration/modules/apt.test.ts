// apt on a real Debian 12 node (node1): a fresh image (empty lists) gets two small packages in one
// apt-get call, the dry run predicting exactly the real run; then removal and purge; then an apt
// already holding the dpkg lock makes the engine wait (and, with no patience, fail clearly).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { sshRun } from '../../lab/index.ts';

const PB = 'test/fixtures/playbooks/modules/apt.ts';
const HOST = 'node1';
let inventory: string;

async function dpkg(names: string): Promise<string> {
  const r = await sshRun(HOST, `dpkg-query -W -f '\${Package} \${Status} \${Version}\\n' ${names} 2>&1; true`, { user: 'root' });
  return r.stdout.trim();
}

describe('apt on a lab node', { timeout: 900_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
    await freshHosts(HOST);
  });

  test('fresh node: empty lists, hello and sl installed in one call; dry run == real run; converged', async () => {
    const lists = await sshRun(HOST, "find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' | wc -l", { user: 'root' });
    assert.equal(lists.stdout.trim(), '0', 'the fresh image has empty lists');
    assert.doesNotMatch(await dpkg('hello sl'), /install ok installed/);

    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} packages`]);
    const planned = cycle.dry.events.find((e) => e.type === 'task.result' && e.task === 'packages');
    const whats = (planned?.changes ?? []).map((c: { what: string; after: unknown }) => `${c.what}: ${c.after}`);
    assert.deepEqual(whats, ['apt lists: (updated)', 'package hello: (version unknown until the lists are updated)', 'package sl: (version unknown until the lists are updated)'],
      'the dry run says the versions are unknown on empty lists, and guesses none');
    assert.match(await dpkg('hello sl'), /^hello install ok installed \S+\nsl install ok installed \S+$/);
    const log = await sshRun(HOST, "grep -c '^Start-Date' /var/log/apt/history.log", { user: 'root' });
    assert.equal(log.stdout.trim(), '1', 'both packages went in one apt-get call');
  });

  test('lists present and fresh: the diff shows the real versions; absent removes, purge purges', async () => {
    const version = (await dpkg('hello')).split(' ').pop();
    const dry = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '--check', '-e', 'state=absent', '-e', 'pkgs=hello']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    const change = dry.events.find((e) => e.type === 'task.result' && e.task === 'packages')?.changes?.[0];
    assert.deepEqual(change, { what: 'package hello', before: version, after: '(removed)' });

    await applyCycle(PB, { limit: HOST, extra: ['-e', 'state=absent', '-e', 'pkgs=hello'] });
    assert.match(await dpkg('hello'), /^hello deinstall ok config-files|^dpkg-query: no packages found|^hello unknown ok not-installed/);
    await applyCycle(PB, { limit: HOST, extra: ['-e', 'state=absent', '-e', 'pkgs=sl', '-e', 'purge=true'] });
    assert.doesNotMatch(await dpkg('sl'), /installed|config-files/, 'sl is purged');

    const back = await applyCycle(PB, { limit: HOST, extra: ['-e', 'pkgs=hello'] });
    assert.deepEqual(back.changed, [`${HOST} packages`]);
    const again = back.dry.events.find((e) => e.type === 'task.result' && e.task === 'packages')?.changes?.[0];
    assert.deepEqual(again, { what: 'package hello', before: '(absent)', after: version }, 'with current lists the dry run names the version');
  });

  test('another apt holding the dpkg lock: the engine waits for it; with lockTimeout 0 it fails clearly', async () => {
    // A real apt holds the frontend lock (fcntl, as apt takes it) for ~12 s: its dpkg pre-invoke hook sleeps.
    const hold = () =>
      sshRun(HOST, "nohup apt-get -y -o 'DPkg::Pre-Invoke::=sleep 12' install --reinstall hello >/tmp/holder.log 2>&1 & sleep 2; cat /proc/locks | wc -l; ls -i /var/lib/dpkg/lock-frontend | cut -d' ' -f1", { user: 'root', check: true });
    const held = async () => {
      const inode = (await sshRun(HOST, "stat -c %i /var/lib/dpkg/lock-frontend", { user: 'root' })).stdout.trim();
      return (await sshRun(HOST, `grep -c ':${inode} ' /proc/locks; true`, { user: 'root' })).stdout.trim() !== '0';
    };

    await hold();
    assert.ok(await held(), 'the lock is held by the other apt');
    const impatient = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'pkgs=sl', '-e', 'lockTimeout=0']);
    assert.notEqual(impatient.code, 0, 'without waiting, the install fails');
    assert.deepEqual(pairs(impatient, 'failed'), [`${HOST} packages`]);
    assert.match(JSON.stringify(impatient.events), /lock/i, 'the error names the lock');
    await sshRun(HOST, 'while pgrep -x apt-get >/dev/null; do sleep 1; done', { user: 'root' });

    await hold();
    assert.ok(await held(), 'the lock is held again');
    const started = Date.now();
    const patient = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'pkgs=sl']);
    assert.equal(patient.code, 0, patient.stdout + patient.stderr);
    assert.deepEqual(pairs(patient, 'changed'), [`${HOST} packages`]);
    assert.ok(Date.now() - started >= 5_000, 'the install waited for the other apt to finish');
    assert.match(await dpkg('sl'), /^sl install ok installed/);
    const holder = await sshRun(HOST, 'cat /tmp/holder.log', { user: 'root' });
    assert.doesNotMatch(holder.stdout, /^E:/m, 'the other apt finished undisturbed');
  });

  test('another apt-get update holding the lists lock: the refresh waits for it (DPkg::Lock::Timeout does not cover that lock)', async () => {
    await sshRun(HOST, "touch -d '2 days ago' /var/lib/apt/periodic/update-success-stamp; nohup apt-get -o 'APT::Update::Pre-Invoke::=sleep 10' update >/tmp/updater.log 2>&1 & sleep 2", { user: 'root', check: true });
    const probe = await sshRun(HOST, 'apt-get -o DPkg::Lock::Timeout=5 update 2>&1; true', { user: 'root' });
    assert.match(probe.stdout, /Could not get lock \/var\/lib\/apt\/lists\/lock/, 'the lists lock is held, and plain apt-get update does not wait for it');
    const started = Date.now();
    const r = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'pkgs=hello,sl']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(pairs(r, 'failed'), []);
    assert.ok(Date.now() - started >= 3_000, 'the refresh waited for the other update');
    const age = await sshRun(HOST, 'echo $(( $(date +%s) - $(stat -c %Y /var/lib/apt/periodic/update-success-stamp) ))', { user: 'root' });
    assert.ok(Number(age.stdout.trim()) < 60, 'the refresh ran once the lock was free');
  });

  test('lists older than cacheValidTime: the dry run foresees the refresh in a scratch copy; changed only when apt fetches new lists', async () => {
    const args = (more: string[]) => ['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'pkgs=hello,sl', ...more];
    const age = async () => Number((await sshRun(HOST, 'echo $(( $(date +%s) - $(stat -c %Y /var/lib/apt/periodic/update-success-stamp) ))', { user: 'root' })).stdout.trim());
    const status = (r: Awaited<ReturnType<typeof engine>>) => r.events.find((e) => e.type === 'task.result' && e.task === 'packages');

    // The lists (names, sizes, times, inodes) and any scratch folder left beside them; apt's caches.
    const lists = async () => (await sshRun(HOST, "cd /var/lib/apt && find lists -printf '%p %s %T@ %i\\n' | sort | sha256sum; ls -d /var/lib/apt/lists.shipshape-* 2>/dev/null; true", { user: 'root' })).stdout;
    const caches = async () => (await sshRun(HOST, "stat -c '%n %Y %s' /var/cache/apt/*.bin 2>/dev/null; true", { user: 'root' })).stdout;

    await sshRun(HOST, "touch -d '2 days ago' /var/lib/apt/periodic/update-success-stamp", { user: 'root', check: true });
    const untouched = await lists();
    const cached = await caches();
    const dry = await engine(args(['--check']));
    assert.equal(status(dry)?.status, 'ok', 'the mirror has nothing newer: the foreseen refresh changes nothing');
    assert.equal(status(dry)?.msg, undefined, 'the scratch refresh worked: no "unknown" warning');
    assert.ok((await age()) > 86_400, 'the dry run ran no update');
    assert.equal(await lists(), untouched, "the host's lists and their inodes are as they were; no scratch folder is left");
    assert.equal(await caches(), cached, "apt's package caches were not rebuilt from the scratch lists");
    const same = await engine(args([]));
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.ok((await age()) < 120, 'the real run refreshed the lists');
    assert.equal(status(same)?.status, 'ok', 'the lists did not change: ok');

    // A missing index is fetched again: the lists change, the dry run says so first, the real run agrees.
    await sshRun(HOST, "touch -d '2 days ago' /var/lib/apt/periodic/update-success-stamp; rm -f /var/lib/apt/lists/*bookworm-updates*_Packages*", { user: 'root', check: true });
    const before = await lists();
    const foreseen = await engine(args(['--check']));
    assert.equal(foreseen.code, 0, foreseen.stdout + foreseen.stderr);
    const listsChange = { what: 'apt lists', before: '(1 index behind the mirror)', after: '(updated)' };
    assert.equal(status(foreseen)?.status, 'changed');
    assert.deepEqual(status(foreseen)?.changes, [listsChange], 'the dry run foresaw the fetch');
    assert.equal(await lists(), before, 'and left the lists as they were');
    const fetched = await engine(args([]));
    assert.equal(fetched.code, 0, fetched.stdout + fetched.stderr);
    assert.equal(status(fetched)?.status, 'changed');
    assert.deepEqual(status(fetched)?.changes, [listsChange], 'the real run changed what the dry run said');
    const again = await engine(args([]));
    assert.equal(status(again)?.status, 'ok', 'fresh lists are left alone');
  });

  test("the dry run's foresight runs none of apt's hooks and downloads as _apt; the real run's update runs them", async () => {
    // Canary hooks as packages install them (PackageKit, appstream...), one scoped to apt-get only,
    // dpkg's too; apt-key, run by apt's gpgv download method on each fetched InRelease, says who ran it.
    const HOOKS = '/etc/apt/apt.conf.d/99shipshape-canary-hooks';
    const PROBE = '/usr/local/sbin/shipshape-apt-key-probe';
    const SEEN = '/var/tmp/shipshape-apt-key-users';
    const canary = (list: string, name: string) => `${list} { "touch /root/hook-ran-${name}"; };`;
    const conf = [
      canary('APT::Update::Pre-Invoke', 'update-pre'),
      canary('APT::Update::Post-Invoke', 'update-post'),
      canary('APT::Update::Post-Invoke-Success', 'update-post-success'),
      canary('Binary::apt-get::APT::Update::Post-Invoke-Success', 'apt-get-update-post-success'),
      canary('APT::Install::Pre-Invoke', 'install-pre'),
      canary('APT::Install::Post-Invoke-Success', 'install-post-success'),
      canary('DPkg::Pre-Invoke', 'dpkg-pre'),
      `Dir::Bin::apt-key "${PROBE}";`,
    ].join('\n');
    const probe = `#!/bin/sh\ntouch "${SEEN}/$(id -un)"\nexec /usr/bin/apt-key "$@"\n`;
    await sshRun(HOST, `printf '%s\\n' '${conf.replace(/'/g, `'\\''`)}' > ${HOOKS} && printf '%s' '${probe}' > ${PROBE} && chmod 755 ${PROBE} && install -d -m 1777 ${SEEN}`, { user: 'root', check: true });
    const ran = async () => (await sshRun(HOST, 'cd /root && ls -d hook-ran-* 2>/dev/null; true', { user: 'root' })).stdout.split('\n').filter(Boolean).map((f) => f.slice('hook-ran-'.length)).sort();
    const users = async () => (await sshRun(HOST, `ls ${SEEN}`, { user: 'root', check: true })).stdout.split('\n').filter(Boolean).sort();
    const lists = async () => (await sshRun(HOST, "cd /var/lib/apt && find lists -printf '%p %s %T@ %i\\n' | sort | sha256sum; ls -d /var/lib/apt/lists.shipshape-* 2>/dev/null; true", { user: 'root' })).stdout;
    const status = (r: Awaited<ReturnType<typeof engine>>) => r.events.find((e) => e.type === 'task.result' && e.task === 'packages');
    // Stale lists, one repository's files gone (release, packages, translations): the scratch update fetches and verifies them.
    const stale = () => sshRun(HOST, `rm -f /root/hook-ran-* ${SEEN}/*; touch -d '2 days ago' /var/lib/apt/periodic/update-success-stamp; rm -f /var/lib/apt/lists/*bookworm-updates_*`, { user: 'root', check: true });
    const listsChange = { what: 'apt lists', before: '(3 indices behind the mirror)', after: '(updated)' };
    try {
      await stale();
      const before = await lists();
      const dry = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '--check', '-e', 'pkgs=hello,sl']);
      assert.equal(dry.code, 0, dry.stdout + dry.stderr);
      assert.equal(status(dry)?.status, 'changed');
      assert.deepEqual(status(dry)?.changes, [listsChange], 'the dry run still foresees the fetch');
      assert.deepEqual(await ran(), [], 'run --check ran no apt hook');
      assert.deepEqual(await users(), ['_apt'], "the scratch update's downloads ran as _apt, not root");
      assert.equal(await lists(), before, 'the lists are as they were; no scratch folder is left');

      // engine check, with an upgrade foreseen too: apt-get -s upgrade runs APT::Install::* hooks unless cleared.
      await sshRun(HOST, `rm -f ${SEEN}/*`, { user: 'root', check: true });
      const check = await engine(['check', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'pkgs=hello,sl', '-e', 'upgrade=safe']);
      assert.equal(check.code, 2, `changes are pending: ${check.stdout}${check.stderr}`);
      assert.deepEqual(status(check)?.changes?.[0], listsChange);
      assert.deepEqual(await ran(), [], 'engine check ran no apt hook');
      assert.deepEqual(await users(), ['_apt'], "the scratch update's downloads ran as _apt, not root");
      assert.equal(await lists(), before, 'the lists are as they were; no scratch folder is left');

      // The canaries do fire: a plain apt-get -s runs the install hook, the real run's update (not a dry run) the update hooks.
      await sshRun(HOST, 'apt-get -s -q upgrade >/dev/null', { user: 'root', check: true });
      assert.ok((await ran()).includes('install-pre'), 'apt-get -s upgrade runs APT::Install::Pre-Invoke');
      await sshRun(HOST, 'rm -f /root/hook-ran-*', { user: 'root', check: true });
      const real = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'pkgs=hello,sl']);
      assert.equal(real.code, 0, real.stdout + real.stderr);
      assert.deepEqual(status(real)?.changes, [listsChange], 'the real run fetched what the dry run foresaw');
      assert.deepEqual(await ran(), ['apt-get-update-post-success', 'update-post', 'update-post-success', 'update-pre'], "the real update runs apt's hooks as apt does");
    } finally {
      await sshRun(HOST, `rm -rf ${HOOKS} ${PROBE} ${SEEN} /root/hook-ran-*`, { user: 'root' });
    }
  });

  test('a package and the unit it ships in one play: the dry run on a fresh host says the unit\'s state is unknown (naming the package), and does not fail', async () => {
    await freshHosts(HOST);
    const cycle = await applyCycle('test/fixtures/playbooks/modules/apt-service.ts', { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} at installed`], "Debian's postinst starts and enables atd: the systemd task finds it so");
    const dry = cycle.dry.events.find((e) => e.type === 'task.result' && e.task === 'atd running');
    assert.equal(dry?.status, 'unknown', 'never ok: the dry run cannot know what the postinst starts');
    assert.match(dry?.msg ?? '', /atd\.service comes with at: whether its maintainer scripts/);
    const real = cycle.real.events.find((e) => e.type === 'task.result' && e.task === 'atd running');
    assert.equal(real?.status, 'ok');
    assert.equal(real?.msg, undefined, 'the real run read the installed unit');
    const state = await sshRun(HOST, 'systemctl is-active atd; systemctl is-enabled atd', { user: 'root' });
    assert.equal(state.stdout.trim(), 'active\nenabled');
  });
});
