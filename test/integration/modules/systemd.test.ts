// systemd on a real Debian 12 node (node2): a unit file written by copy in the same play is
// daemon-reloaded, enabled and started, the dry run on a fresh host planning it without failing;
// a changed unit file gets a daemon-reload; stop; mask; a unit nothing provides is a clear error.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { sshRun } from '../../lab/index.ts';

const PB = 'test/fixtures/playbooks/modules/systemd.ts';
const HOST = 'node2';
let inventory: string;

async function show(unit: string): Promise<string> {
  const props = ['LoadState', 'ActiveState', 'UnitFileState', 'NeedDaemonReload', 'Description'];
  const r = await sshRun(HOST, `systemctl show ${unit} -p ${props.join(',')}`, { user: 'root' });
  const kv = new Map(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
  return props.map((p) => kv.get(p) ?? '').join(' ');
}
function changesOf(result: Awaited<ReturnType<typeof engine>>, task: string): string[] {
  const e = result.events.find((x) => x.type === 'task.result' && x.task === task);
  return (e?.changes ?? []).map((c: { what: string; before: unknown; after: unknown }) => `${c.what}: ${c.before} -> ${c.after}`);
}

describe('systemd on a lab node', { timeout: 900_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
    await freshHosts(HOST);
  });

  test('fresh node: unit file by copy, then daemon-reload, enable, start; dry run plans it; converged', async () => {
    assert.match(await show('shipshape-demo'), /^not-found inactive/);
    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} unit file`, `${HOST} unit state`]);
    assert.deepEqual(pairs(cycle.dry, 'failed'), [], 'the dry run does not fail on the unit that does not exist yet');
    const planned = changesOf(cycle.dry, 'unit state');
    assert.deepEqual(planned, changesOf(cycle.real, 'unit state'), 'the real run made the changes the dry run planned');
    assert.deepEqual(planned, [
      'daemon-reload: /etc/systemd/system/shipshape-demo.service written by an earlier task -> reloaded',
      'enabled: false -> true',
      'state: inactive -> active',
    ]);
    assert.equal(await show('shipshape-demo'), 'loaded active enabled no shipshape demo service');
  });

  test('a changed unit file: daemon-reload is planned and done, NeedDaemonReload is clear after', async () => {
    const cycle = await applyCycle(PB, { limit: HOST, extra: ['-e', 'desc=second version'] });
    assert.deepEqual(cycle.changed, [`${HOST} unit file`, `${HOST} unit state`]);
    assert.deepEqual(changesOf(cycle.real, 'unit state'), ['daemon-reload: /etc/systemd/system/shipshape-demo.service written by an earlier task -> reloaded']);
    assert.equal(await show('shipshape-demo'), 'loaded active enabled no second version');
  });

  test('a unit file edited behind the engine: NeedDaemonReload=yes alone makes the daemon-reload a change', async () => {
    // The edit gives the file exactly the content the play writes for desc='third version': copy has nothing to do.
    await sshRun(HOST, "sed -i 's/^Description=.*/Description=third version/' /etc/systemd/system/shipshape-demo.service", { user: 'root', check: true });
    assert.match(await show('shipshape-demo'), / yes second version$/, 'systemd reports NeedDaemonReload=yes');
    const cycle = await applyCycle(PB, { limit: HOST, extra: ['-e', 'desc=third version'] });
    assert.deepEqual(cycle.changed, [`${HOST} unit state`]);
    assert.deepEqual(changesOf(cycle.real, 'unit state'), ['daemon-reload: systemd reports NeedDaemonReload=yes -> reloaded']);
    assert.equal(await show('shipshape-demo'), 'loaded active enabled no third version');
  });

  test('stopped and disabled', async () => {
    const cycle = await applyCycle(PB, { limit: HOST, extra: ['-e', 'desc=third version', '-e', 'state=stopped', '-e', 'enabled=false'] });
    assert.deepEqual(cycle.changed, [`${HOST} unit state`]);
    assert.deepEqual(changesOf(cycle.real, 'unit state'), ['enabled: true -> false', 'state: active -> inactive']);
    assert.equal(await show('shipshape-demo'), 'loaded inactive disabled no third version');
  });

  test('masked: a unit shipped in /lib/systemd/system is stopped and masked, then unmasked and started', async () => {
    const base = ['-e', 'unit=shipshape-masked', '-e', 'dir=/lib/systemd/system'];
    await applyCycle(PB, { limit: HOST, extra: base });
    assert.match(await show('shipshape-masked'), /^loaded active enabled/);
    const mask = await applyCycle(PB, { limit: HOST, extra: [...base, '-e', 'state=stopped', '-e', 'masked=true', '-e', 'enabled=false'] });
    assert.deepEqual(changesOf(mask.real, 'unit state'), ['enabled: true -> false', 'state: active -> inactive', 'masked: false -> true']);
    assert.match(await show('shipshape-masked'), /^masked inactive masked/);
    const started = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', ...base]);
    assert.notEqual(started.code, 0, 'enabling and starting a masked unit without unmasking it fails');
    assert.match(JSON.stringify(started.events), /is masked: it cannot be enabled \(set masked: false to unmask it\)/);
    const unmask = await applyCycle(PB, { limit: HOST, extra: [...base, '-e', 'masked=false'] });
    assert.deepEqual(changesOf(unmask.real, 'unit state'), ['masked: true -> false', 'enabled: false -> true', 'state: inactive -> active']);
    assert.match(await show('shipshape-masked'), /^loaded active enabled/);
  });

  test('a unit that nothing provides: a clear error in the real run and in the dry run', async () => {
    for (const check of [[], ['--check']]) {
      const r = await engine(['run', 'test/fixtures/playbooks/modules/systemd-missing.ts', '-i', inventory, '--limit', HOST, '--json', ...check]);
      assert.notEqual(r.code, 0);
      assert.deepEqual(pairs(r, 'failed'), [`${HOST} start a missing unit`]);
      const msg = r.events.find((e) => e.type === 'task.result' && e.status === 'failed')?.msg ?? '';
      assert.match(msg, /unit shipshape-nosuch\.service not found: .*no unit file in \/etc\/systemd\/system\/shipshape-nosuch\.service/);
    }
  });
});
