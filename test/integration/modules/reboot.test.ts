// reboot on a lab node (node8): with the flag file present the dry run plans the reboot and the
// task after it; the real run reboots (a new boot id), reconnects and runs the task after it; the
// flag lived in /run, so the second run does not reboot. Without the flag nothing happens.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { sshRun } from '../../lab/index.ts';

const PB = 'test/fixtures/playbooks/modules/reboot.ts';
const HOST = 'node8';
let inventory: string;

const bootId = async () => (await sshRun(HOST, 'cat /proc/sys/kernel/random/boot_id', { user: 'root', check: true })).stdout.trim();

describe('reboot on a lab node', { timeout: 600_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
    await freshHosts(HOST);
  });

  test('flag present: dry run == real run; a new boot; the next task runs after it; the second run does not reboot', async () => {
    await sshRun(HOST, 'touch /run/shipshape-reboot-required', { user: 'root', check: true });
    const before = await bootId();
    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} after the reboot`, `${HOST} reboot if required`]);
    const after = await bootId();
    assert.notEqual(after, before, 'the host booted again');
    assert.equal((await sshRun(HOST, 'test -e /run/shipshape-reboot-required', { user: 'root' })).code, 1, 'the flag is gone with the old boot');
    const real = cycle.real.events.filter((e) => e.type === 'task.result').map((e) => `${e.task}: ${e.status}`);
    assert.deepEqual(real, ['reboot if required: changed', 'after the reboot: changed'], 'the play went on after the reboot');
    assert.equal((await sshRun(HOST, 'cat /root/after-reboot.txt', { user: 'root' })).stdout, 'written after the reboot\n');
    const wrote = await sshRun(HOST, "stat -c %W /root/after-reboot.txt; awk '{print int($1)}' /proc/uptime; date +%s", { user: 'root' });
    const [born, uptime, now] = wrote.stdout.trim().split('\n').map(Number);
    if (born! > 0) assert.ok(born! >= now! - uptime! - 2, 'the file was written during the new boot');
  });

  test('flag absent: nothing to do, no reboot', async () => {
    const before = await bootId();
    const r = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(pairs(r, 'changed'), []);
    assert.equal(r.events.find((e) => e.task === 'reboot if required')?.status, 'ok');
    assert.equal(await bootId(), before);
  });
});
