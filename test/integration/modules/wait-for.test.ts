// waitFor on a lab node (node7): sshd's port from the host and from the controller, paths and a
// pattern, all ok and never a change; a path created while the engine waits; a closed port fails
// after the timeout with a message saying what was waited for; a dry run waits for nothing.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab } from '../lab-fixture.ts';
import { sshRun, hostAddress } from '../../lab/index.ts';

const PB = 'test/fixtures/playbooks/modules/wait-for.ts';
const HOST = 'node7';
const TASKS = ['port on the host', 'port from the controller', 'path present', 'pattern in a file', 'path absent', 'late path'];
let inventory: string;

describe('waitFor on a lab node', { timeout: 600_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
  });

  test('conditions that hold: every task ok, no change, dry run == real run', async () => {
    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, []);
    assert.deepEqual(pairs(cycle.real, 'ok'), TASKS.map((t) => `${HOST} ${t}`).sort());
  });

  test('a path that appears while the engine waits: the task ends ok once it is there', async () => {
    const late = `/tmp/shipshape-late-${Date.now()}`;
    await sshRun(HOST, `nohup sh -c 'sleep 8; touch ${late}' </dev/null >/dev/null 2>&1 &`, { user: 'root', check: true });
    const started = Date.now();
    assert.equal((await sshRun(HOST, `test -e ${late}`, { user: 'root' })).code, 1, 'not there yet when the engine starts');
    const r = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', `late=${late}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = r.events.find((e) => e.type === 'task.result' && e.task === 'late path');
    assert.equal(result?.status, 'ok');
    assert.ok(result!.ms >= 3000, `the task waited (${result!.ms} ms)`);
    assert.ok(Date.now() - started < 25_000);
    assert.equal((await sshRun(HOST, `test -e ${late}`, { user: 'root' })).code, 0);
  });

  test('a closed port: the dry run waits for nothing; the real run fails with what it waited for', async () => {
    const dry = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '--check', '-e', 'port=9', '-e', 'timeout=3']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.equal(dry.events.find((e) => e.task === 'port on the host')?.status, 'ok');

    const real = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'port=9', '-e', 'timeout=3']);
    assert.notEqual(real.code, 0);
    const failed = real.events.find((e) => e.type === 'task.result' && e.task === 'port on the host');
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.msg, `timed out after 3 s waiting for port 9 on 127.0.0.1 to be open (checked on ${HOST})`);
    assert.ok(failed!.ms >= 3000, `it waited the whole timeout (${failed!.ms} ms)`);
  });

  test('a closed port from the controller fails the same way, naming the address it tried', async () => {
    const r = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'port=9', '-e', 'timeout=2', '--tags', 'controller']);
    assert.notEqual(r.code, 0);
    const failed = r.events.find((e) => e.type === 'task.result' && e.task === 'port from the controller');
    assert.ok(failed, `no result for the controller task:\n${r.stdout}\n${r.stderr}`);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.msg, `timed out after 2 s waiting for port 9 on ${hostAddress(HOST)} to be open (checked from the controller)`);
  });
});
