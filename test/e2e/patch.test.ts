// patch.ts on a fleet at relay.ts v1 (lab hosts node5..node8, see upgrade-fleet.ts): the lab's apt
// repository serves a fixture package, relay-fixture, at version 1 (installed by the test setup,
// which also adds the repository: patch.ts does not) and then at version 2, whose postinst asks for
// a reboot. patch.ts upgrades it batch by batch (25%: one host each), each relay reboots in its own
// batch, and the relays answer on their ports afterwards.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine, pairs } from '../integration/engine-cli.ts';
import { APT_REPO_LINE, labPaths, publishDebs } from '../lab/index.ts';
import { batchWindows, fleetAtV1, fleetVersions, INVENTORY, onVersion, RELAYS, sudo } from './upgrade-fleet.ts';

const PLAYBOOK = 'playbooks/patch.ts';
const PLAY = 'patch the fleet';
const PKG = 'relay-fixture';
const HOSTS = ['build', ...RELAYS] as const;

/** relay-fixture_VERSION_all.deb, built with dpkg-deb; version 2's postinst asks for a reboot. */
function buildDeb(dir: string, version: string): string {
  const root = join(dir, `${PKG}-${version}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/share', PKG), { recursive: true });
  writeFileSync(join(root, 'usr/share', PKG, 'VERSION'), `${version}\n`);
  writeFileSync(
    join(root, 'DEBIAN/control'),
    [`Package: ${PKG}`, `Version: ${version}`, 'Architecture: all', 'Maintainer: shipshape lab <admin@lab.test>', 'Section: misc', 'Priority: optional', `Description: shipshape patch test fixture, version ${version}`, ''].join('\n'),
  );
  if (version !== '1') {
    writeFileSync(join(root, 'DEBIAN/postinst'), '#!/bin/sh\nset -e\ntouch /var/run/reboot-required\n');
    chmodSync(join(root, 'DEBIAN/postinst'), 0o755);
  }
  const deb = join(dir, `${PKG}_${version}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'pipe' });
  return deb;
}

const bootId = async (host: (typeof HOSTS)[number]) => (await sudo(host, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
const fixtureVersion = async (relay: (typeof RELAYS)[number]) => (await sudo(relay, `cat /usr/share/${PKG}/VERSION`)).stdout.trim();

describe('patch.ts: apt upgrade in batches, reboot where asked, wait for the relays', { timeout: 3_600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-patch-'));

  before(async () => {
    await fleetAtV1();
    // Only this test's package leaves the shared repository; then version 1 alone is served.
    for (const f of readdirSync(labPaths.aptDir)) if (f.startsWith(`${PKG}_`)) rmSync(join(labPaths.aptDir, f));
    await publishDebs([buildDeb(dir, '1')]);
    for (const relay of RELAYS) {
      const r = await sudo(relay, `echo '${APT_REPO_LINE}' > /etc/apt/sources.list.d/shipshape-lab.list && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${PKG}`);
      assert.equal(r.code, 0, `${relay}: ${r.stdout}${r.stderr}`);
      assert.equal(await fixtureVersion(relay), '1');
    }
    await publishDebs([buildDeb(dir, '2')]);
  });

  test('relay-fixture goes from 1 to 2 on every relay, one batch at a time, each relay rebooted in its batch', async () => {
    const boots = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await bootId(h)])));

    const dry = await engine(['run', PLAYBOOK, '-i', INVENTORY, '--check', '--json']);
    assert.equal(dry.code, 0, dry.stdout.slice(-3000) + dry.stderr);
    for (const relay of RELAYS) assert.equal(await fixtureVersion(relay), '1', 'a dry run upgrades nothing');
    // The lists on the relays predate version 2: the dry run foresees the refresh (a scratch copy of
    // the lists) and names the upgrade; the reboot it cannot know, and says so.
    const dryResult = (host: string, task: string) => dry.events.find((e) => e.type === 'task.result' && e.host === host && e.task === task);
    for (const relay of RELAYS) {
      const upgrade = dryResult(relay, 'upgrade packages');
      assert.equal(upgrade?.status, 'changed', `${relay}: the dry run foresees the upgrade`);
      assert.deepEqual(upgrade?.changes?.find((c: { what: string }) => c.what === `package ${PKG}`), { what: `package ${PKG}`, before: '1', after: '2' });
      const reboot = dryResult(relay, 'reboot when a package asks for it');
      assert.equal(reboot?.status, 'ok');
      assert.match(reboot?.msg ?? '', new RegExp(`absent now, so no reboot is planned; the packages an earlier task changes \\(.*${PKG}.*\\) may ask for one`));
    }

    const started = Date.now();
    const real = await engine(['run', PLAYBOOK, '-i', INVENTORY, '--json']);
    assert.equal(real.code, 0, real.stdout.slice(-3000) + real.stderr);
    console.log(`patch.ts real run: ${((Date.now() - started) / 1000).toFixed(1)} s; changed: ${pairs(real, 'changed').join('; ')}`);
    const upgrades = (r: typeof real) => r.events.filter((e) => e.type === 'task.result' && e.task === 'upgrade packages').map((e) => `${e.host} ${e.status} ${JSON.stringify(e.changes)}`).sort();
    assert.deepEqual(upgrades(real), upgrades(dry), 'every host upgraded exactly what the dry run said');

    const windows = batchWindows(real.events, PLAY);
    assert.deepEqual(windows.map((w) => w.hosts), [['build'], ['relay1'], ['relay2'], ['relay3']], '25% of four hosts: one host per batch, in order');
    // Every task of a host ran inside its own batch: the next batch started only after it.
    for (const e of real.events.filter((x) => x.type === 'task.result' && x.play === PLAY)) {
      const w = windows.find((x) => x.hosts.includes(e.host))!;
      const t = Date.parse(e.time);
      assert.ok(t >= w.start && t <= w.end, `${e.host} ${e.task} at ${e.time} is outside its batch`);
    }
    for (const relay of RELAYS) {
      assert.equal(await fixtureVersion(relay), '2', `${relay} has version 2`);
      assert.notEqual(await bootId(relay), boots[relay], `${relay} rebooted`);
      const reboot = real.events.find((e) => e.type === 'task.result' && e.host === relay && e.task === 'reboot when a package asks for it');
      assert.equal(reboot?.status, 'changed', `${relay} reboot task`);
      for (const port of ['smp answers', 'xfp answers']) {
        assert.equal(real.events.find((e) => e.type === 'task.result' && e.host === relay && e.task === port)?.status, 'ok', `${relay} ${port}`);
      }
      const flag = await sudo(relay, 'test -e /var/run/reboot-required && echo present || echo absent');
      assert.equal(flag.stdout.trim(), 'absent');
    }
    assert.deepEqual(await fleetVersions(), { relay1: onVersion('1.0.0'), relay2: onVersion('1.0.0'), relay3: onVersion('1.0.0') }, 'the relays serve after their reboot');

    const again = await engine(['run', PLAYBOOK, '-i', INVENTORY, '--json']);
    assert.equal(again.code, 0, again.stdout.slice(-3000) + again.stderr);
    assert.deepEqual(pairs(again, 'changed').filter((p) => !p.endsWith(' upgrade packages')), [], 'no reboot the second time');
    for (const relay of RELAYS) assert.equal(pairs(again, 'changed').includes(`${relay} upgrade packages`), false, `${relay}: nothing left to upgrade`);
  });
});
