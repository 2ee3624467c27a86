// systemd planning without a host: a fake `systemctl show` and unit-file facts in, changes,
// systemctl steps (in order) and the predicted unit out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ABSENT_FILE, fileKey, type FileFact } from '../../engine/facts/file.ts';
import { parseUnit, unitFact, unitFilePaths, unitName, type UnitFact } from '../../engine/facts/unit.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError, type RunStep } from '../../engine/plan/types.ts';
import { shellJoin } from '../../engine/quote.ts';
import { validateParams } from '../../engine/playbook/validate.ts';
import { systemd } from './systemd.ts';
import { aFile, planWith, predicted } from '../../test/unit/modules/fake-facts.ts';

const UNIT_FILE = '[Unit]\nDescription=relay\n[Service]\nExecStart=/usr/local/bin/relay\n[Install]\nWantedBy=multi-user.target\n';

function unit(name: string, over: Partial<UnitFact> = {}): UnitFact {
  return { name: unitName(name), loadState: 'loaded', activeState: 'inactive', subState: 'dead', unitFileState: 'disabled', needDaemonReload: false, fragmentPath: `/etc/systemd/system/${unitName(name)}`, ...over };
}
/** Facts for a unit: its systemctl show reading, its candidate files (absent unless given). */
function world(name: string, u: Partial<UnitFact> | 'not-found', opts: { files?: Record<string, FileFact> } = {}): Record<string, unknown> {
  const facts = predictions(predict(unitFact(name), u === 'not-found' ? unit(name, { loadState: 'not-found', unitFileState: '', fragmentPath: null }) : unit(name, u)));
  for (const path of unitFilePaths(name)) {
    facts[fileKey(path)] = opts.files?.[fileKey(path)] ?? { ...ABSENT_FILE };
  }
  return facts;
}
const cmds = (steps: unknown[]) => steps.map((s) => shellJoin((s as RunStep).argv));

describe('systemd planning', () => {
  it('converged: loaded, active, enabled: no change, no step', async () => {
    const plan = await planWith(systemd, { unit: 'relay', state: 'started', enabled: true, daemonReload: true }, world('relay', { activeState: 'active', unitFileState: 'enabled' }));
    assert.deepEqual(plan, { changes: [], steps: [] });
  });

  it('inactive and disabled: enable then start, the predicted unit active and enabled', async () => {
    const plan = await planWith(systemd, { unit: 'relay', state: 'started', enabled: true }, world('relay', {}));
    assert.deepEqual(plan.changes, [{ what: 'enabled', before: false, after: true }, { what: 'state', before: 'inactive', after: 'active' }]);
    assert.deepEqual(cmds(plan.steps), ['systemctl enable -- relay.service', 'systemctl start -- relay.service']);
    const after = predicted(plan, unitFact('relay.service'))!;
    assert.equal(after.activeState, 'active');
    assert.equal(after.unitFileState, 'enabled');
  });

  it('stopped and disabled: disable then stop; failed counts as stopped', async () => {
    const plan = await planWith(systemd, { unit: 'relay', state: 'stopped', enabled: false }, world('relay', { activeState: 'active', unitFileState: 'enabled' }));
    assert.deepEqual(cmds(plan.steps), ['systemctl disable -- relay.service', 'systemctl stop -- relay.service']);
    const failed = await planWith(systemd, { unit: 'relay', state: 'stopped' }, world('relay', { activeState: 'failed' }));
    assert.deepEqual(failed, { changes: [], steps: [] });
  });

  it('a unit nothing provides: a PlanError naming the unit and the paths looked at; stopping it is already true', async () => {
    await assert.rejects(planWith(systemd, { unit: 'nosuch', state: 'started' }, world('nosuch', 'not-found')),
      (e: Error) => e instanceof PlanError && /unit nosuch\.service not found: .*\/etc\/systemd\/system\/nosuch\.service, \/lib\/systemd\/system\/nosuch\.service/.test(e.message));
    assert.deepEqual(await planWith(systemd, { unit: 'nosuch', state: 'stopped', enabled: false }, world('nosuch', 'not-found')), { changes: [], steps: [] });
  });

  it('a unit file an earlier task writes (predicted): daemon-reload, enable, start; a file on disk not loaded yet too', async () => {
    const path = '/etc/systemd/system/relay.service';
    const facts = world('relay', 'not-found', { files: aFile(path, UNIT_FILE) });
    const plan = await planWith(systemd, { unit: 'relay', state: 'started', enabled: true }, facts, { files: { written: [path] } });
    assert.deepEqual(plan.changes, [
      { what: 'daemon-reload', before: `${path} written by an earlier task`, after: 'reloaded' },
      { what: 'enabled', before: false, after: true },
      { what: 'state', before: 'inactive', after: 'active' },
    ]);
    assert.deepEqual(cmds(plan.steps), ['systemctl daemon-reload', 'systemctl enable -- relay.service', 'systemctl start -- relay.service']);
    assert.deepEqual(plan.files, { settles: { written: [path], writtenIn: [] } }, 'the reload is done: a later systemd task has nothing to reload');
    assert.equal(predicted(plan, unitFact('relay.service'))?.loadState, 'loaded');
    const onDisk = await planWith(systemd, { unit: 'relay', state: 'started' }, world('relay', 'not-found', { files: aFile(path, UNIT_FILE) }));
    assert.deepEqual(onDisk.changes[0], { what: 'daemon-reload', before: `${path} not loaded yet`, after: 'reloaded' }, 'a file on disk that systemd has not loaded: reloaded too');
  });

  it('a unit file without [Install] is static: started, nothing to enable', async () => {
    const path = '/lib/systemd/system/oneshot.service';
    const plan = await planWith(systemd, { unit: 'oneshot', state: 'started', enabled: true }, world('oneshot', 'not-found', { files: aFile(path, '[Service]\nExecStart=/bin/true\n') }), { files: { written: [path] } });
    assert.deepEqual(cmds(plan.steps), ['systemctl daemon-reload', 'systemctl start -- oneshot.service']);
    const loaded = await planWith(systemd, { unit: 'oneshot', enabled: true }, world('oneshot', { unitFileState: 'static' }));
    assert.deepEqual(loaded, { changes: [], steps: [] });
  });

  it('daemonReload for drop-ins (issue 16, defect 1): one written by an earlier task, or on disk and not loaded', async () => {
    const dir = '/etc/systemd/system/relay.service.d';
    const written = await planWith(systemd, { unit: 'relay', state: 'started', daemonReload: true }, world('relay', {}), { files: { writtenIn: [dir] } });
    assert.deepEqual(written.changes[0], { what: 'daemon-reload', before: `a drop-in in ${dir} written by an earlier task`, after: 'reloaded' });
    assert.deepEqual(cmds(written.steps), ['systemctl daemon-reload', 'systemctl start -- relay.service']);
    assert.deepEqual(written.files, { settles: { written: [], writtenIn: [dir] } }, 'the reload took the drop-ins in');
    const show = 'Id=relay.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\nFragmentPath=/etc/systemd/system/relay.service\n';
    const fresh = parseUnit('relay.service', `${show}DropInPaths=\nDropInOnDisk=${dir}/override.conf\n`, 0);
    assert.equal(fresh.dropInsChanged, true, 'a new drop-in systemd has not loaded (NeedDaemonReload=no on systemd 252)');
    const loaded = parseUnit('relay.service', `${show}DropInPaths=${dir}/override.conf /usr/lib/systemd/system/service.d/10-timeout.conf\nDropInOnDisk=${dir}/override.conf\n`, 0);
    assert.equal(loaded.dropInsChanged, undefined);
    const removed = parseUnit('relay.service', `${show}DropInPaths=${dir}/override.conf\n`, 0);
    assert.equal(removed.dropInsChanged, true);
    const plan = await planWith(systemd, { unit: 'relay', daemonReload: true }, world('relay', { dropInsChanged: true }));
    assert.deepEqual(plan.changes, [{ what: 'daemon-reload', before: 'drop-ins on disk are not the ones systemd loaded', after: 'reloaded' }]);
  });

  it('a unit systemd skipped on a condition that still fails is ok for started, with a message; once it holds, it is started (issue 16)', async () => {
    const show = 'Id=c.service\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=static\nNeedDaemonReload=no\nFragmentPath=/etc/systemd/system/c.service\nDropInPaths=\n';
    const skipped = parseUnit('c.service', `${show}ConditionFails=ConditionPathExists=/srv/go\n`, 0);
    assert.deepEqual(skipped.conditionsFail, ['ConditionPathExists=/srv/go']);
    const ok = await planWith(systemd, { unit: 'c', state: 'started' }, world('c', { conditionsFail: skipped.conditionsFail, unitFileState: 'static' }));
    assert.deepEqual([ok.changes, ok.steps], [[], []]);
    assert.equal(ok.msg, 'c.service is not running: systemd skips it, its condition ConditionPathExists=/srv/go does not hold');
    const holds = await planWith(systemd, { unit: 'c', state: 'started' }, world('c', { unitFileState: 'static' }));
    assert.deepEqual(cmds(holds.steps), ['systemctl start -- c.service']);
  });

  it('daemonReload: a change only when NeedDaemonReload=yes or the file was written in this run', async () => {
    const needed = await planWith(systemd, { unit: 'relay', daemonReload: true }, world('relay', { needDaemonReload: true }));
    assert.deepEqual(needed.changes, [{ what: 'daemon-reload', before: 'systemd reports NeedDaemonReload=yes', after: 'reloaded' }]);
    assert.deepEqual(cmds(needed.steps), ['systemctl daemon-reload']);
    assert.equal(predicted(needed, unitFact('relay.service'))?.needDaemonReload, false);
    const path = '/etc/systemd/system/relay.service';
    const written = await planWith(systemd, { unit: 'relay', daemonReload: true }, world('relay', {}, { files: aFile(path, UNIT_FILE) }), { files: { written: [path] } });
    assert.deepEqual(cmds(written.steps), ['systemctl daemon-reload']);
    assert.deepEqual(await planWith(systemd, { unit: 'relay', daemonReload: true }, world('relay', {})), { changes: [], steps: [] });
    assert.deepEqual(await planWith(systemd, { unit: 'relay' }, world('relay', { needDaemonReload: true })), { changes: [], steps: [] }, 'without daemonReload, nothing');
  });

  it('masked: start refused with a hint; stop then mask; unmask then enable and start', async () => {
    await assert.rejects(planWith(systemd, { unit: 'apache2', state: 'started' }, world('apache2', { loadState: 'masked', unitFileState: 'masked' })), /apache2\.service is masked: it cannot be started \(set masked: false/);
    const mask = await planWith(systemd, { unit: 'apache2', state: 'stopped', masked: true }, world('apache2', { activeState: 'active', unitFileState: 'enabled' }));
    assert.deepEqual(cmds(mask.steps), ['systemctl stop -- apache2.service', 'systemctl mask -- apache2.service']);
    const unmask = await planWith(systemd, { unit: 'apache2', state: 'started', enabled: true, masked: false }, world('apache2', { loadState: 'masked', unitFileState: 'masked' }));
    assert.deepEqual(cmds(unmask.steps), ['systemctl unmask -- apache2.service', 'systemctl enable -- apache2.service', 'systemctl start -- apache2.service']);
    assert.deepEqual(await planWith(systemd, { unit: 'apache2', masked: true }, world('apache2', { loadState: 'masked', unitFileState: 'masked' })), { changes: [], steps: [] });
    await assert.rejects(planWith(systemd, { unit: 'apache2', masked: true, enabled: true }, {}), /a masked unit cannot be enabled/);
  });

  it('restarted and reloaded act every time (handlers); reloaded starts a stopped unit', async () => {
    const restart = await planWith(systemd, { unit: 'relay', state: 'restarted' }, world('relay', { activeState: 'active' }));
    assert.deepEqual(restart.changes, [{ what: 'state', before: 'active', after: 'restarted' }]);
    assert.deepEqual(cmds(restart.steps), ['systemctl restart -- relay.service']);
    const reload = await planWith(systemd, { unit: 'relay', state: 'reloaded' }, world('relay', {}));
    assert.deepEqual(cmds(reload.steps), ['systemctl start -- relay.service']);
  });

  it('a unit an earlier apt task may ship (dry run): unknown, naming the package, a check step for the real run', async () => {
    const plan = await planWith(systemd, { unit: 'atd', state: 'started' }, world('atd', 'not-found'), { packages: { installs: ['at'] } });
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(cmds(plan.steps), ['systemctl cat -- atd.service']);
    assert.match(plan.unknown ?? '', /an earlier task installs at/);
  });

  it('issue 16 defect 10: stopping or disabling a unit an earlier apt task may ship is unknown, not ok', async () => {
    // Failed before the fix: `{ changes: [], steps: [] }`, reported ok, while the real run stops rsyslog.
    const plan = await planWith(systemd, { unit: 'rsyslog', state: 'stopped', enabled: false }, world('rsyslog', 'not-found'), { packages: { installs: ['rsyslog'] } });
    assert.deepEqual(plan.changes, []);
    assert.match(plan.unknown ?? '', /installs rsyslog, which may ship and start it/);
    const alone = await planWith(systemd, { unit: 'rsyslog', state: 'stopped' }, world('rsyslog', 'not-found'));
    assert.deepEqual(alone, { changes: [], steps: [] }, 'with no package coming, nothing to stop: ok');
  });

  it('names: .service added, other suffixes and instances kept; hostile names refused; no unit and nothing else is an error', async () => {
    assert.equal(unitName('nginx'), 'nginx.service');
    assert.equal(unitName('apt-daily.timer'), 'apt-daily.timer');
    assert.ok(unitFilePaths('getty@tty1.service').includes('/lib/systemd/system/getty@.service'), 'an instance looks for its template');
    await assert.rejects(planWith(systemd, { unit: 'x; reboot', state: 'started' }, {}), /invalid params/);
    await assert.rejects(planWith(systemd, {}, {}), /nothing to do/);
    const reexec = await planWith(systemd, { daemonReexec: true }, {});
    assert.deepEqual(reexec.changes, [], 'daemon-reexec is an action, never announced');
    assert.deepEqual(cmds(reexec.steps), ['systemctl daemon-reexec']);
  });
});

describe('unit fact', () => {
  it('parseUnit reads systemctl show, in any order', () => {
    const out = 'Id=relay.service\nNeedDaemonReload=yes\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/etc/systemd/system/relay.service\nUnitFileState=enabled\n';
    assert.deepEqual(parseUnit('relay.service', out, 0), {
      name: 'relay.service', loadState: 'loaded', activeState: 'active', subState: 'running', unitFileState: 'enabled', needDaemonReload: true, fragmentPath: '/etc/systemd/system/relay.service',
    });
    assert.equal(parseUnit('x.service', 'LoadState=not-found\nFragmentPath=\n', 0).fragmentPath, null);
    assert.throws(() => parseUnit('x.service', 'Failed to connect to bus', 1), /printed no state/);
  });
  it('unit names as systemd.unit(5) has them: @ \\ : - allowed, a leading dash refused; systemctl gets -- before the unit', async () => {
    const ok = (unit: string) => validateParams(systemd.def.params, { unit, state: 'started' }).errors.length === 0;
    for (const unit of ['nginx', 'relay.service', 'getty@tty1.service', 'container@h01', 'dev-disk-by\\x2duuid-1a.device', 'sys-devices-a:b.device', 'a_b.c.socket']) assert.ok(ok(unit), unit);
    for (const unit of ['-Hhost', '--help', '-', 'a b', "a'b", 'a/b', '', 'x'.repeat(256)]) assert.ok(!ok(unit), unit);
    const plan = await planWith(systemd, { unit: 'relay', state: 'started', enabled: true }, world('relay', {}));
    for (const step of plan.steps as RunStep[]) assert.equal(step.argv[step.argv.length - 2], '--', shellJoin(step.argv));
  });
});
