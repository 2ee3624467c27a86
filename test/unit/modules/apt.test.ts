// apt planning without a host: fake dpkg/apt facts in, changes, steps and predicted facts out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLists, parsePackage, parseSimulation, type AptListsFact, type PackageFact, type SimulatedPackage } from '../../../engine/facts/apt.ts';
import { PlanError, type RunStep } from '../../../engine/plan/types.ts';
import { renderRun } from '../../../engine/plan/render.ts';
import { apt } from '../../../modules/apt.ts';
import { planWith } from './fake-facts.ts';

const STAMP = '1234-567';
const FRESH: AptListsFact = { empty: false, age: 60, stamp: STAMP };
const STALE: AptListsFact = { empty: false, age: 86_400, stamp: STAMP };
const EMPTY: AptListsFact = { empty: true, age: null, stamp: '4294967295-0' };

function pkg(name: string, version: string | null, candidate: string | null = '2.10-3', extra: Partial<PackageFact> = {}): Record<string, PackageFact> {
  return { [`pkg:${name}`]: { name, installed: version !== null, configFiles: false, version, candidate, stamp: STAMP, ...extra } };
}
function world(lists: AptListsFact, ...pkgs: Record<string, PackageFact>[]): Record<string, unknown> {
  return Object.assign({ 'apt:lists': lists, 'apt:installs': [] }, ...pkgs);
}
const sim = (action: string, list: SimulatedPackage[]) => ({ [`apt:simulate:${action}`]: list });
const argvOf = (s: unknown) => (s as RunStep).argv;
const APT = ['apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

describe('apt planning', () => {
  it('converged: installed packages on fresh lists: no change, no step', async () => {
    const plan = await planWith(apt, { name: ['hello', 'sl'], cacheValidTime: 3600 }, world(FRESH, pkg('hello', '2.10-3'), pkg('sl', '5.02-1')));
    assert.deepEqual(plan, { changes: [], steps: [] });
  });

  it('fresh image (empty lists): update and install are certain, the versions honestly unknown', async () => {
    const plan = await planWith(apt, { name: ['hello', 'sl'], cacheValidTime: 3600 }, world(EMPTY, pkg('hello', null, null, { stamp: EMPTY.stamp }), pkg('sl', null, null, { stamp: EMPTY.stamp })));
    assert.deepEqual(plan.changes, [
      { what: 'apt lists', before: '(empty)', after: '(updated)' },
      { what: 'package hello', before: '(absent)', after: '(version unknown until the lists are updated)' },
      { what: 'package sl', before: '(absent)', after: '(version unknown until the lists are updated)' },
    ]);
    assert.equal(plan.steps.length, 2);
    assert.deepEqual(argvOf(plan.steps[0]).slice(4), ['300', ...APT, 'update'], 'apt-get update in a lock-retry loop, lockTimeout first');
    assert.deepEqual(argvOf(plan.steps[1]), [...APT, 'install', 'hello', 'sl'], 'both packages in one apt-get call');
    assert.deepEqual((plan.steps[1] as RunStep).env, { DEBIAN_FRONTEND: 'noninteractive' });
    assert.deepEqual(plan.after?.['apt:lists'], { empty: false, age: 0, stamp: null });
    assert.deepEqual(plan.after?.['pkg:hello'], { name: 'hello', installed: true, configFiles: false, version: null, candidate: null, stamp: EMPTY.stamp });
    assert.deepEqual(plan.after?.['apt:installs'], ['hello', 'sl']);
    assert.deepEqual(plan.invalidates, ['*'], 'a package may change anything: every fact is read again (predictions kept in a dry run)');
  });

  it('empty lists without updateCache: a clear error before anything runs', async () => {
    await assert.rejects(planWith(apt, { name: 'hello' }, world(EMPTY, pkg('hello', null, null))), (e: Error) => e instanceof PlanError && /lists on this host are empty.*updateCache/.test(e.message));
  });

  it('an earlier task updated the lists: no error, but the version is unknown (the candidate was read before)', async () => {
    const plan = await planWith(apt, { name: 'hello' }, world({ empty: false, age: 0, stamp: null }, pkg('hello', null, null, { stamp: EMPTY.stamp })));
    assert.deepEqual(plan.changes, [{ what: 'package hello', before: '(absent)', after: '(version unknown until the lists are updated)' }]);
  });

  it('current lists: the diff names the candidate version; a package not in the lists is an error', async () => {
    const plan = await planWith(apt, { name: 'hello' }, world(FRESH, pkg('hello', null, '2.10-3')));
    assert.deepEqual(plan.changes, [{ what: 'package hello', before: '(absent)', after: '2.10-3' }]);
    assert.equal((plan.after?.['pkg:hello'] as PackageFact).version, '2.10-3');
    await assert.rejects(planWith(apt, { name: 'nosuch' }, world(FRESH, pkg('nosuch', null, null))), /package nosuch is not in the package lists/);
  });

  it('lists older than cacheValidTime: the refresh is an action, changed only when the lists stamp moved', async () => {
    const plan = await planWith(apt, { name: 'hello', cacheValidTime: 3600 }, world(STALE, pkg('hello', '2.10-3')));
    assert.deepEqual(plan.changes, []);
    assert.equal(plan.steps.length, 1);
    const step = plan.steps[0] as RunStep;
    assert.equal(step.argv[0], 'sh');
    assert.equal(step.reportsChange!({ code: 0, stdout: 'lists-before=1-2\nlists-after=1-2\n', stderr: '' }), false);
    assert.equal(step.reportsChange!({ code: 0, stdout: 'lists-before=1-2\nlists-after=3-4\n', stderr: '' }), true);
    assert.match(renderRun(step).command, /^DEBIAN_FRONTEND=noninteractive sh -c '.*update-success-stamp.*' sh 300 apt-get -y -q .* update$/s);
  });

  it('updateCache without cacheValidTime refreshes every run (an action); fresh lists within cacheValidTime are left alone', async () => {
    const always = await planWith(apt, { updateCache: true }, world(FRESH));
    assert.equal(always.changes.length, 0);
    assert.equal(always.steps.length, 1);
    assert.deepEqual(always.invalidates, ['pkg:*', 'apt:simulate:*'], 'a refresh alone touches no file, user or unit');
    const fresh = await planWith(apt, { cacheValidTime: 3600 }, world(FRESH));
    assert.deepEqual(fresh, { changes: [], steps: [] });
  });

  it('latest: an older installed version is upgraded, before -> after; after a refresh apt decides (an action on dpkg)', async () => {
    const plan = await planWith(apt, { name: 'hello', state: 'latest' }, world(FRESH, pkg('hello', '2.10-2', '2.10-3')));
    assert.deepEqual(plan.changes, [{ what: 'package hello', before: '2.10-2', after: '2.10-3' }]);
    assert.deepEqual(argvOf(plan.steps[0]), [...APT, 'install', 'hello']);
    const refreshing = await planWith(apt, { name: 'hello', state: 'latest', updateCache: true }, world(FRESH, pkg('hello', '2.10-2', '2.10-2')));
    assert.deepEqual(refreshing.changes, []);
    const install = refreshing.steps[1] as RunStep;
    assert.deepEqual(install.argv.slice(4), [...APT, 'install', 'hello']);
    assert.equal(install.reportsChange!({ code: 0, stdout: 'dpkg-before=1-1\ndpkg-after=1-1\n', stderr: '' }), false);
    const same = await planWith(apt, { name: 'hello', state: 'latest' }, world(FRESH, pkg('hello', '2.10-3', '2.10-3')));
    assert.deepEqual(same.changes, []);
  });

  it('absent: remove, purge (also of leftover config files), nothing when not there', async () => {
    const remove = await planWith(apt, { name: 'hello', state: 'absent' }, world(EMPTY, pkg('hello', '2.10-3')));
    assert.deepEqual(remove.changes, [{ what: 'package hello', before: '2.10-3', after: '(removed)' }]);
    assert.deepEqual(argvOf(remove.steps[0]), [...APT, 'remove', 'hello']);
    assert.equal((remove.after?.['pkg:hello'] as PackageFact).configFiles, true);
    const leftovers = await planWith(apt, { name: 'hello', state: 'absent', purge: true }, world(FRESH, pkg('hello', null, '2.10-3', { configFiles: true })));
    assert.deepEqual(leftovers.changes, [{ what: 'package hello', before: '(config files only)', after: '(purged)' }]);
    assert.deepEqual(argvOf(leftovers.steps[0]), [...APT, 'purge', 'hello']);
    const gone = await planWith(apt, { name: 'hello', state: 'absent' }, world(FRESH, pkg('hello', null, '2.10-3', { configFiles: true })));
    assert.deepEqual(gone, { changes: [], steps: [] }, 'without purge, leftover config files are fine');
  });

  it('upgrade on current lists: exactly what apt-get -s says; nothing to upgrade, nothing to do', async () => {
    const list: SimulatedPackage[] = [{ name: 'libc6', action: 'upgrade', before: '2.36-9', after: '2.36-9+deb12u1' }];
    const plan = await planWith(apt, { upgrade: 'safe' }, { ...world(FRESH), ...sim('upgrade', list) });
    assert.deepEqual(plan.changes, [{ what: 'package libc6', before: '2.36-9', after: '2.36-9+deb12u1' }]);
    assert.deepEqual(argvOf(plan.steps[0]), [...APT, 'upgrade']);
    const full = await planWith(apt, { upgrade: 'full' }, { ...world(FRESH), ...sim('dist-upgrade', []) });
    assert.deepEqual(full, { changes: [], steps: [] });
  });

  it('fleet patching with a refresh: upgrade and autoremove run as actions measured on dpkg', async () => {
    const plan = await planWith(apt, { updateCache: true, upgrade: 'full', autoremove: true, purge: true }, { ...world(STALE), ...sim('dist-upgrade', []), ...sim('autoremove', []) });
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.steps.map((s) => argvOf(s).slice(-2)), [['Dpkg::Options::=--force-confold', 'update'], ['Dpkg::Options::=--force-confold', 'dist-upgrade'], ['autoremove', '--purge']]);
    assert.deepEqual(plan.invalidates, ['*']);
  });

  it('autoremove alone on current lists: the packages apt-get -s would remove', async () => {
    const plan = await planWith(apt, { autoremove: true }, { ...world(FRESH), ...sim('autoremove', [{ name: 'libfoo1', action: 'remove', before: '1.0', after: null }]) });
    assert.deepEqual(plan.changes, [{ what: 'package libfoo1', before: '1.0', after: '(removed)' }]);
    assert.deepEqual(argvOf(plan.steps[0]), [...APT, 'autoremove']);
  });

  it('lockTimeout reaches apt-get; hostile names are refused by the schema; nothing to do is an error', async () => {
    const plan = await planWith(apt, { name: 'hello', lockTimeout: 7 }, world(FRESH, pkg('hello', null)));
    assert.ok(argvOf(plan.steps[0]).includes('DPkg::Lock::Timeout=7'));
    await assert.rejects(planWith(apt, { name: 'hello; rm -rf /' }, {}), /invalid params: name must match pattern/);
    await assert.rejects(planWith(apt, { name: '-oAPT::x=1' }, {}), /invalid params/);
    await assert.rejects(planWith(apt, {}, {}), /nothing to do/);
  });
});

describe('apt facts', () => {
  it('parsePackage: installed, config files only, never known', () => {
    assert.deepEqual(parsePackage('hello', 'dpkg=install ok installed\t2.10-3\ncandidate=2.10-3\nstamp=1-2\n'),
      { name: 'hello', installed: true, configFiles: false, version: '2.10-3', candidate: '2.10-3', stamp: '1-2' });
    assert.deepEqual(parsePackage('hello', 'dpkg=deinstall ok config-files\t2.10-3\ncandidate=(none)\nstamp=1-2\n'),
      { name: 'hello', installed: false, configFiles: true, version: null, candidate: null, stamp: '1-2' });
    assert.deepEqual(parsePackage('nosuch', 'dpkg=\ncandidate=\nstamp=\n'), { name: 'nosuch', installed: false, configFiles: false, version: null, candidate: null, stamp: null });
  });

  it('parseLists: empty lists have no age; the update stamp wins over the folder time', () => {
    assert.deepEqual(parseLists('indices=0\nnow=1000\ndir=900\nstamp=a\n'), { empty: true, age: null, stamp: 'a' });
    assert.deepEqual(parseLists('indices=3\nnow=1000\nupdated=400\ndir=900\nstamp=b\n'), { empty: false, age: 600, stamp: 'b' });
    assert.deepEqual(parseLists('indices=3\nnow=1000\ndir=900\nstamp=b\n'), { empty: false, age: 100, stamp: 'b' });
  });

  it('parseSimulation: Inst (upgrade and new) and Remv lines', () => {
    const out = [
      'NOTE: This is only a simulation!',
      'Inst libc6 [2.36-9] (2.36-9+deb12u1 Debian:12.5/stable [amd64])',
      'Inst newdep (1.0-1 Debian:12.5/stable [amd64])',
      'Conf libc6 (2.36-9+deb12u1 Debian:12.5/stable [amd64])',
      'Remv oldlib [0.9-2]',
    ].join('\n');
    assert.deepEqual(parseSimulation(out), [
      { name: 'libc6', action: 'upgrade', before: '2.36-9', after: '2.36-9+deb12u1' },
      { name: 'newdep', action: 'install', before: null, after: '1.0-1' },
      { name: 'oldlib', action: 'remove', before: '0.9-2', after: null },
    ]);
  });
});
