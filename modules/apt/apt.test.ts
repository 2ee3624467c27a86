// apt planning without a host: fake dpkg/apt facts in, changes, steps and predicted facts out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aptListsFact, EVERY_PACKAGE, EVERY_REFRESHED_LISTS, EVERY_SIMULATION, NO_HOOKS_CONF_SH, packageFact, parseLists, parsePackage, parseRefreshed, parseSimulation, refreshedListsFact, simulateFact, type AptListsFact, type PackageFact, type RefreshedListsFact, type SimulateAction, type SimulatedPackage } from '../../engine/facts/apt.ts';
import { removalFact } from '../../engine/facts/apt-planned.ts';
import { predict, predictions, type Prediction } from '../../engine/plan/predict.ts';
import { PlanError, type RunStep } from '../../engine/plan/types.ts';
import { renderRun } from '../../engine/plan/render.ts';
import { stampChanged } from '../../engine/plan/stamp-change.ts';
import { apt } from './apt.ts';
import { packagesAfter, planWith, predicted } from '../../test/unit/modules/fake-facts.ts';

const STAMP = '1234-567';
const FRESH: AptListsFact = { empty: false, age: 60, stamp: STAMP };
const STALE: AptListsFact = { empty: false, age: 86_400, stamp: STAMP };
const EMPTY: AptListsFact = { empty: true, age: null, stamp: '4294967295-0' };

function pkg(name: string, version: string | null, candidate: string | null = '2.10-3', extra: Partial<PackageFact> = {}): Prediction {
  return predict(packageFact(name), { name, installed: version !== null, held: false, configFiles: false, version, candidate, stamp: STAMP, ...extra });
}
function world(lists: AptListsFact, ...pkgs: Prediction[]): Record<string, unknown> {
  return predictions(predict(aptListsFact, lists), ...pkgs);
}
const sim = (action: SimulateAction, list: SimulatedPackage[]) => predictions(predict(simulateFact(action), list));
/** apt-get -s remove|purge --autoremove NAMES (comma-separated), as removalFact reads it. */
const removal = (verb: 'remove' | 'purge', names: string, list: SimulatedPackage[] | null) => predictions(predict(removalFact(names.split(','), verb === 'purge'), list));
const gone = (name: string, before: string): SimulatedPackage => ({ name, action: 'remove', before, after: null });
const argvOf = (s: unknown) => (s as RunStep).argv;
/** The scratch refresh's answer for a task (key as the module asks for it). */
const foresee = (q: { cacheValidTime?: number; names?: string[]; actions?: SimulateAction[] }, value: Partial<RefreshedListsFact>) => ({
  [refreshedListsFact({ cacheValidTime: q.cacheValidTime, names: q.names ?? [], actions: q.actions ?? [] }).key]: { status: 'refreshed', stamp: STAMP, candidates: {}, simulated: {}, ...value },
});
const FAILED: Partial<RefreshedListsFact> = { status: 'failed', stamp: null, error: 'Err:1 http://deb.debian.org bookworm InRelease' };
const APT = ['apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

describe('apt planning', () => {
  it('a held package is not removed or upgraded: refused in the plan, as apt-get -y refuses it; kept as it is, it is ok', async () => {
    const heldHello = pkg('hello', '2.10-2', '2.10-3', { held: true });
    await assert.rejects(planWith(apt, { name: 'hello', state: 'absent' }, world(FRESH, heldHello)), /package hello is held \(apt-mark hold\): apt-get will not remove it; release it first \(apt-mark unhold hello/);
    await assert.rejects(planWith(apt, { name: 'hello', state: 'latest' }, world(FRESH, heldHello)), /package hello is held .*will not upgrade it from 2\.10-2 to 2\.10-3; release/);
    assert.deepEqual(await planWith(apt, { name: 'hello' }, world(FRESH, heldHello)), { changes: [], steps: [] });
    assert.equal(parsePackage('hello', 'dpkg=hold ok installed\t2.10-3\ncandidate=2.10-3\nstamp=1\n').held, true);
    assert.equal(parsePackage('hello', 'dpkg=install ok installed\t2.10-3\ncandidate=2.10-3\nstamp=1\n').held, false);
  });

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
    assert.deepEqual(argvOf(plan.steps[1]), [...APT, 'install', '--', 'hello', 'sl'], 'both packages in one apt-get call');
    assert.deepEqual((plan.steps[1] as RunStep).env, { DEBIAN_FRONTEND: 'noninteractive' });
    assert.deepEqual(predicted(plan, aptListsFact), { empty: false, age: 0, stamp: null });
    assert.deepEqual(predicted(plan, packageFact('hello')), { name: 'hello', installed: true, held: false, configFiles: false, version: null, candidate: null, stamp: EMPTY.stamp });
    assert.deepEqual(plan.packages, { install: ['hello', 'sl'], installsNew: ['hello', 'sl'], touches: ['hello', 'sl'], update: true, versions: { hello: null, sl: null }, leaves: [] }, 'the effect the engine keeps (PlanContext.packages, the dry run preview)');
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
    assert.equal(predicted(plan, packageFact('hello'))?.version, '2.10-3');
    await assert.rejects(planWith(apt, { name: 'nosuch' }, world(FRESH, pkg('nosuch', null, null))), /package nosuch is not in the package lists/);
  });

  it('lists older than cacheValidTime: the refresh foreseen in a scratch copy says whether the lists change', async () => {
    const q = { cacheValidTime: 3600, names: ['hello'] };
    const moved = await planWith(apt, { name: 'hello', cacheValidTime: 3600 }, { ...world(STALE, pkg('hello', '2.10-3')), ...foresee(q, { stamp: '999-888', fetched: 2, candidates: { hello: '2.10-3' } }) });
    assert.deepEqual(moved.changes, [{ what: 'apt lists', before: '(2 indices behind the mirror)', after: '(updated)' }]);
    assert.deepEqual(predicted(moved, aptListsFact), { empty: false, age: 0, stamp: '999-888' }, 'later tasks see the foreseen lists');
    const plan = await planWith(apt, { name: 'hello', cacheValidTime: 3600 }, { ...world(STALE, pkg('hello', '2.10-3')), ...foresee(q, { candidates: { hello: '2.10-3' } }) });
    assert.deepEqual(plan.changes, [], 'the mirror has nothing new: no change announced');
    assert.equal(plan.msg, undefined);
    assert.equal(plan.steps.length, 1);
    const step = plan.steps[0] as RunStep;
    assert.equal(step.argv[0], 'sh');
    assert.deepEqual(step.reportsChange, { stamp: 'lists' });
    assert.equal(stampChanged(step.reportsChange!, 'lists-before=1-2\nlists-after=1-2\n'), false);
    assert.equal(stampChanged(step.reportsChange!, 'lists-before=1-2\nlists-after=3-4\n'), true);
    assert.match(renderRun(step).body, /^DEBIAN_FRONTEND=noninteractive sh -c '.*update-success-stamp.*' sh 300 apt-get -y -q .* update$/s);
    const blind = await planWith(apt, { name: 'hello', cacheValidTime: 3600 }, { ...world(STALE, pkg('hello', '2.10-3')), ...foresee(q, FAILED) });
    assert.deepEqual(blind.changes, []);
    assert.equal(blind.steps.length, 1, 'the refresh still runs, measured');
    assert.match(blind.msg ?? '', /unknown until it runs \(Err:1 http:\/\/deb\.debian\.org/, 'a dry run that cannot foresee says so, and why');
  });

  it('updateCache without cacheValidTime refreshes every run (an action); fresh lists within cacheValidTime are left alone', async () => {
    const always = await planWith(apt, { updateCache: true }, { ...world(FRESH), ...foresee({}, {}) });
    assert.equal(always.changes.length, 0);
    assert.equal(always.steps.length, 1);
    assert.deepEqual(always.invalidates, [EVERY_PACKAGE, EVERY_SIMULATION, EVERY_REFRESHED_LISTS], 'a refresh alone touches no file, user or unit');
    assert.equal(always.guesses, undefined, 'no package changes: a later reboot-if-asked has nothing to warn about');
    const fresh = await planWith(apt, { cacheValidTime: 3600 }, world(FRESH));
    assert.deepEqual(fresh, { changes: [], steps: [] });
  });

  it('latest: an older installed version is upgraded, before -> after; after a refresh, the foreseen candidate (or apt decides)', async () => {
    const plan = await planWith(apt, { name: 'hello', state: 'latest' }, world(FRESH, pkg('hello', '2.10-2', '2.10-3')));
    assert.deepEqual(plan.changes, [{ what: 'package hello', before: '2.10-2', after: '2.10-3' }]);
    assert.deepEqual(argvOf(plan.steps[0]), [...APT, 'install', '--', 'hello']);
    const q = { names: ['hello'] };
    const foreseen = await planWith(apt, { name: 'hello', state: 'latest', updateCache: true }, { ...world(FRESH, pkg('hello', '2.10-2', '2.10-2')), ...foresee(q, { stamp: '999-888', fetched: 1, candidates: { hello: '2.10-4' } }) });
    assert.deepEqual(foreseen.changes, [
      { what: 'apt lists', before: '(1 index behind the mirror)', after: '(updated)' },
      { what: 'package hello', before: '2.10-2', after: '2.10-4' },
    ], 'the candidate the refresh brings, not the one the stale lists had');
    assert.deepEqual(argvOf(foreseen.steps[1]), [...APT, 'install', '--', 'hello']);
    assert.deepEqual(foreseen.packages?.touches, ['hello']);
    assert.deepEqual([foreseen.packages?.versions, foreseen.packages?.leaves], [{ hello: '2.10-4' }, []], 'what a later apt task of the dry run finds planned');
    const refreshing = await planWith(apt, { name: 'hello', state: 'latest', updateCache: true }, { ...world(FRESH, pkg('hello', '2.10-2', '2.10-2')), ...foresee(q, FAILED) });
    assert.deepEqual(refreshing.changes, []);
    const install = refreshing.steps[1] as RunStep;
    assert.deepEqual(install.argv.slice(4), [...APT, 'install', '--', 'hello']);
    assert.deepEqual(install.reportsChange, { stamp: 'dpkg' });
    assert.equal(stampChanged(install.reportsChange!, 'dpkg-before=1-1\ndpkg-after=1-1\n'), false);
    const same = await planWith(apt, { name: 'hello', state: 'latest' }, world(FRESH, pkg('hello', '2.10-3', '2.10-3')));
    assert.deepEqual(same.changes, []);
  });

  it('absent: remove, purge (also of leftover config files), nothing when not there', async () => {
    const remove = await planWith(apt, { name: 'hello', state: 'absent' }, { ...world(EMPTY, pkg('hello', '2.10-3')), ...removal('remove', 'hello', [gone('hello', '2.10-3')]) });
    assert.deepEqual(remove.changes, [{ what: 'package hello', before: '2.10-3', after: '(removed)' }]);
    assert.deepEqual(argvOf(remove.steps[0]), [...APT, 'remove', '--', 'hello']);
    assert.equal(predicted(remove, packageFact('hello'))?.configFiles, true);
    const leftovers = await planWith(apt, { name: 'hello', state: 'absent', purge: true }, { ...world(FRESH, pkg('hello', null, '2.10-3', { configFiles: true })), ...removal('purge', 'hello', []) });
    assert.deepEqual(leftovers.changes, [{ what: 'package hello', before: '(config files only)', after: '(purged)' }]);
    assert.deepEqual(argvOf(leftovers.steps[0]), [...APT, 'purge', '--', 'hello']);
    const none = await planWith(apt, { name: 'hello', state: 'absent' }, { ...world(FRESH, pkg('hello', null, '2.10-3', { configFiles: true })), ...removal('remove', 'hello', []) });
    assert.deepEqual(none, { changes: [], steps: [] }, 'without purge, leftover config files are fine');
  });

  it('upgrade on current lists: exactly what apt-get -s says; nothing to upgrade, nothing to do', async () => {
    const list: SimulatedPackage[] = [{ name: 'libc6', action: 'upgrade', before: '2.36-9', after: '2.36-9+deb12u1' }];
    const plan = await planWith(apt, { upgrade: 'safe' }, { ...world(FRESH), ...sim('upgrade', list) });
    assert.deepEqual(plan.changes, [{ what: 'package libc6', before: '2.36-9', after: '2.36-9+deb12u1' }]);
    assert.deepEqual(argvOf(plan.steps[0]), [...APT, 'upgrade']);
    const full = await planWith(apt, { upgrade: 'full' }, { ...world(FRESH), ...sim('dist-upgrade', []) });
    assert.deepEqual(full, { changes: [], steps: [] });
  });

  it('fleet patching with a refresh: the upgrade apt-get -s sees on the foreseen lists; autoremove after it measured', async () => {
    const q = { actions: ['dist-upgrade', 'autoremove'] as SimulateAction[] };
    const params = { updateCache: true, upgrade: 'full', autoremove: true, purge: true };
    const libc = { name: 'libc6', action: 'upgrade', before: '2.36-9', after: '2.36-9+deb12u1' } as const;
    const foreseen = await planWith(apt, params, { ...world(STALE), ...sim('dist-upgrade', []), ...sim('autoremove', []), ...foresee(q, { stamp: '999-888', fetched: 2, simulated: { 'dist-upgrade': [libc], autoremove: [] } }) });
    assert.deepEqual(foreseen.changes, [
      { what: 'apt lists', before: '(2 indices behind the mirror)', after: '(updated)' },
      { what: 'package libc6', before: '2.36-9', after: '2.36-9+deb12u1' },
    ], 'the stale lists see nothing to upgrade; the refreshed ones see libc6');
    assert.deepEqual(foreseen.steps.map((s) => argvOf(s).slice(-2)), [['Dpkg::Options::=--force-confold', 'update'], ['Dpkg::Options::=--force-confold', 'dist-upgrade'], ['autoremove', '--purge']]);
    assert.equal((foreseen.steps[1] as RunStep).reportsChange, undefined, 'the upgrade is an announced change');
    assert.deepEqual((foreseen.steps[2] as RunStep).reportsChange, { stamp: 'dpkg' }, 'autoremove after an upgrade: measured');
    assert.deepEqual(foreseen.packages?.touches, ['libc6', '(autoremove)']);

    const plan = await planWith(apt, params, { ...world(STALE), ...sim('dist-upgrade', []), ...sim('autoremove', []), ...foresee(q, FAILED) });
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
      { name: 'hello', installed: true, held: false, configFiles: false, version: '2.10-3', candidate: '2.10-3', stamp: '1-2' });
    assert.deepEqual(parsePackage('hello', 'dpkg=deinstall ok config-files\t2.10-3\ncandidate=(none)\nstamp=1-2\n'),
      { name: 'hello', installed: false, held: false, configFiles: true, version: null, candidate: null, stamp: '1-2' });
    assert.deepEqual(parsePackage('nosuch', 'dpkg=\ncandidate=\nstamp=\n'), { name: 'nosuch', installed: false, held: false, configFiles: false, version: null, candidate: null, stamp: null });
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

  it('parseRefreshed: status, stamp, candidates and one simulation per action; short answers', () => {
    const out = [
      'status=refreshed',
      'stamp=77-66',
      'fetched=3',
      'candidate hello=2.10-4',
      'candidate nosuch=',
      '== dist-upgrade',
      'Inst libc6 [2.36-9] (2.36-9+deb12u1 Debian:12.5/stable [amd64])',
      '== autoremove',
      '',
    ].join('\n');
    assert.deepEqual(parseRefreshed(out), {
      status: 'refreshed',
      stamp: '77-66',
      fetched: 3,
      candidates: { hello: '2.10-4', nosuch: null },
      simulated: { 'dist-upgrade': [{ name: 'libc6', action: 'upgrade', before: '2.36-9', after: '2.36-9+deb12u1' }], autoremove: [] },
    });
    assert.deepEqual(parseRefreshed('status=fresh\n'), { status: 'fresh', stamp: null, candidates: {}, simulated: {} });
    assert.equal(parseRefreshed('status=failed\nerror=Err:1 http://x bookworm InRelease \n').error, 'Err:1 http://x bookworm InRelease');
  });

  it('refreshedListsFact: the host lists only read, the scratch copy beside them removed on exit', () => {
    const { script, key } = refreshedListsFact({ cacheValidTime: 3600, names: ['hello'], actions: ['upgrade'] });
    assert.equal(key, 'apt:refreshed:3600:upgrade:hello');
    assert.match(script, /mktemp -d \/var\/lib\/apt\/lists\.shipshape-XXXXXX/);
    assert.match(script, /trap 'rm -rf "\$t"' EXIT/);
    for (const line of script.split('\n').filter((l) => /apt-get|apt-cache/.test(l))) {
      assert.match(line, /Dir::State::Lists="\$t" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=/, `every apt call reads the copy and writes no cache: ${line}`);
    }
    assert.match(script, /apt-get -c \/dev\/stdin -s -q .* upgrade/);
    assert.doesNotMatch(script, /Sandbox/, "the downloads run as apt's sandbox user (_apt), as in the host's own updates");
    assert.doesNotMatch(script, /rm -rf "\$t\/partial"|mkdir "\$t\/partial"/, "partial/ keeps the owner and mode cp -a gave it (the host's: _apt:root 0700)");
    assert.match(script, /find "\$t\/partial" -mindepth 1 -delete/, 'partial/ is emptied: no hard-linked partial download is resumed');
  });

  it("every apt call of the foresight and the simulations clears apt's hook lists after reading the host's configuration", () => {
    const scripts = [
      refreshedListsFact({ cacheValidTime: 3600, names: ['hello', 'sl'], actions: ['upgrade', 'autoremove'] }).script,
      refreshedListsFact({ names: [], actions: ['dist-upgrade'] }).script,
      simulateFact('upgrade').script,
      simulateFact('dist-upgrade').script,
      simulateFact('autoremove').script,
    ];
    const calls = scripts.flatMap((s) => s.split('\n')).filter((l) => /apt-get|apt-cache/.test(l));
    assert.equal(calls.length, (1 + 2 + 2) + (1 + 1) + 3, 'every update, policy and -s call');
    for (const line of calls) {
      // -o NAME= would keep a list's items; only a config file's #clear empties it, read after apt.conf.d.
      assert.ok(line.includes(`${NO_HOOKS_CONF_SH} | LC_ALL=C apt-`) && / apt-(get|cache) -c \/dev\/stdin /.test(line), `the call reads the cleared hook lists: ${line}`);
    }
    const cleared = [...NO_HOOKS_CONF_SH.matchAll(/ ([A-Za-z]+::[A-Za-z:-]+)/g)].map((m) => m[1]);
    for (const name of ['APT::Update::Pre-Invoke', 'APT::Update::Post-Invoke', 'APT::Update::Post-Invoke-Success', 'APT::Update::Auth-Failure', 'APT::Install::Pre-Invoke', 'APT::Install::Post-Invoke-Success', 'AptCli::Hooks']) {
      assert.ok(cleared.includes(name), `${name} is cleared`);
    }
    assert.match(NO_HOOKS_CONF_SH, /^printf '#clear %s;\\n' /, 'one #clear NAME; line per list');
    assert.ok(!cleared.some((n) => /^(DPkg|Acquire)::/i.test(n)), "dpkg's hooks (never run here) and the download settings (proxy) are the host's own");
  });

  // Issue 16, defects 2, 3 and 9: apt-get -s read from the host as it is, while earlier tasks of the
  // dry run change it. Each failed before the fix (the planned packages and removalFact).
  const wget = removal('purge', 'wget', [gone('wget', '1.21.3-1+b2'), gone('libpsl5', '0.21.2-1'), gone('publicsuffix', '20230209.2326-1')]);
  it('defect 3: autoremove in the removing task reports (and removes in one call) what apt-get -s remove --autoremove says', async () => {
    const plan = await planWith(apt, { name: 'wget', state: 'absent', purge: true, autoremove: true }, { ...world(FRESH, pkg('wget', '1.21.3-1+b2')), ...wget, ...sim('autoremove', []) });
    assert.deepEqual(plan.changes.map((c) => `${c.what} ${c.after}`), ['package wget (purged)', 'package libpsl5 (purged)', 'package publicsuffix (purged)']);
    assert.deepEqual(plan.steps.map(argvOf), [[...APT, 'purge', '--autoremove', '--', 'wget']], 'one call; no separate autoremove after it');
  });

  it('defect 2: autoremove after a removal in an earlier task: what the removal leaves is counted', async () => {
    const removing = await planWith(apt, { name: 'wget', state: 'absent', purge: true }, { ...world(FRESH, pkg('wget', '1.21.3-1+b2')), ...wget });
    assert.deepEqual(removing.changes.map((c) => c.what), ['package wget'], 'without autoremove, only wget goes');
    const after = await planWith(apt, { autoremove: true }, { ...world(FRESH), ...sim('autoremove', []) }, { packages: packagesAfter(removing) });
    assert.deepEqual(after.changes, [
      { what: 'package libpsl5', before: '0.21.2-1', after: '(removed)' },
      { what: 'package publicsuffix', before: '20230209.2326-1', after: '(removed)' },
    ]);
  });

  it('defect 9: an upgrade an earlier task makes is not counted again by a fleet upgrade', async () => {
    const latest = await planWith(apt, { name: 'hello', state: 'latest' }, world(FRESH, pkg('hello', '2.10-2', '2.10-3')));
    const hello: SimulatedPackage = { name: 'hello', action: 'upgrade', before: '2.10-2', after: '2.10-3' };
    const libc: SimulatedPackage = { name: 'libc6', action: 'upgrade', before: '2.36-9', after: '2.36-9+deb12u1' };
    const upgrade = await planWith(apt, { upgrade: 'safe' }, { ...world(FRESH), ...sim('upgrade', [hello]) }, { packages: packagesAfter(latest) });
    assert.deepEqual(upgrade, { changes: [], steps: [] }, 'hello is upgraded by the earlier task: nothing left to do');
    const more = await planWith(apt, { upgrade: 'safe' }, { ...world(FRESH), ...sim('upgrade', [hello, libc]) }, { packages: packagesAfter(latest) });
    assert.deepEqual(more.changes.map((c) => c.what), ['package libc6']);
  });
});

