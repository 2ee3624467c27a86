// What a converged host costs (issue 16, round trips): the lock, which reads every fact of the
// play once held (one exec), one for a command (it runs on every run), and, since a command may
// change anything, one more exec reading again the facts of every task after it (not one per
// task). The README's "Why the dry run can be trusted" says the same figures.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loggedCommands } from '../cycle.ts';
import { engine, pairs, recap } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { labPaths } from '../../lab/index.ts';

const HOST = 'conv1';
const PB = 'test/integration/converge/round-trips.playbook.ts';

describe('round trips of a converged host with a command task', { timeout: 300_000 }, () => {
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
  });

  test('lock with the facts + command + the facts of the tasks after it: 3 execs, whatever the number of tasks after the command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-rt-'));
    try {
      const run = (log?: string) => engine(['run', PB, '-i', labPaths.inventory, '--limit', HOST, '--json', ...(log ? ['--log', log] : [])]);
      const first = await run();
      assert.equal(first.code, 0, first.stdout + first.stderr);
      const log = join(dir, 'again.log');
      const again = await run(log);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.deepEqual(pairs(again, 'changed'), [`${HOST} always`], 'only the command changes on a converged host');
      const sent = loggedCommands(log).map((c) => c.replace(/:.*$/s, '').replace(/^lock .*/, 'lock'));
      // The lock, which read the play's first facts, is held open for the whole run: its command is logged when it ends, last.
      assert.deepEqual(sent, ['true', 'gather facts', 'lock'], 'what the run sent, in order');
      assert.equal(recap(again).roundTrips[HOST], 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
