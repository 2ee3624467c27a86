// assert and debug on a lab node (node7): the guide's prerequisites hold on the lab's Debian 12
// (ok, never a change, a message per host in dry and real runs); a prerequisite that does not hold
// stops the host with a message naming the condition, the value found and the one wanted.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCycle } from '../cycle.ts';
import { engine } from '../engine-cli.ts';
import { ensureLab } from '../lab-fixture.ts';

const PB = 'test/fixtures/playbooks/modules/assert.ts';
const HOST = 'node7';
let inventory: string;

describe('assert and debug on a lab node', { timeout: 300_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
  });

  test('prerequisites hold: ok, no change; debug prints its message in the dry run and the real run', async () => {
    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, []);
    for (const r of [cycle.dry, cycle.real]) {
      assert.deepEqual(
        r.events.filter((e) => e.type === 'message').map((e) => [e.host, e.text]),
        [[HOST, `relay address for ${HOST}: smp://fingerprint@${HOST}.example:5223`]],
      );
      assert.deepEqual(r.events.filter((e) => e.type === 'task.result').map((e) => e.status), ['ok', 'ok', 'ok']);
    }
    const human = await engine(['run', PB, '-i', inventory, '--limit', HOST]);
    assert.match(human.stdout, new RegExp(`MESSAGE ${HOST} \\| relay address for ${HOST}: smp://fingerprint@${HOST}\\.example:5223`));
  });

  test('too little memory: the host fails with the condition named, in the dry run too, and the play stops there', async () => {
    for (const check of [['--check'], []]) {
      const r = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'minMemoryMb=99999999', ...check]);
      assert.notEqual(r.code, 0);
      const results = r.events.filter((e) => e.type === 'task.result');
      assert.equal(results.length, 1, 'nothing runs after the failed assertion');
      assert.equal(results[0]!.status, 'failed');
      assert.match(results[0]!.msg, /^the relay guide needs Debian 12: assertion failed: minMemoryMb: the host has \d+ MiB of memory, at least 99999999 MiB needed$/);
      assert.deepEqual(r.events.filter((e) => e.type === 'message'), []);
    }
  });
});
