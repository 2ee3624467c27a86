import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { baseFacts } from '../../engine/facts/base.ts';
import type { LocalIO } from '../../engine/plan/types.ts';
import { executeSteps } from '../../engine/run/execute.ts';
import type { HostLink } from '../../engine/run/host-link.ts';
import { REBOOT_ARGV } from '../../engine/run/steps/reboot.ts';
import { reboot } from './reboot.ts';
import { aFile, nothingAt, planWith } from '../../test/unit/modules/fake-facts.ts';

const FLAG = '/var/run/reboot-required';

/** A host whose boot id changes after `downFor` reconnections following the reboot command. */
function fakeHost(opts: { staleReconnects?: number; neverBack?: boolean } = {}) {
  let boot = 'boot-1';
  let rebooted = false;
  let reconnects = 0;
  const commands: string[] = [];
  const link = {
    host: { name: 'web1', become: {} },
    async exec(command: string) {
      commands.push(command);
      if (command.includes('boot_id')) return { code: 0, stdout: Buffer.from(`${boot}\n`), stderr: Buffer.alloc(0) };
      if (command.startsWith('systemd-run')) rebooted = true;
      return { code: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
    },
    async reconnect() {
      reconnects++;
      if (opts.neverBack) throw new Error('connection refused');
      if (rebooted && reconnects > (opts.staleReconnects ?? 0)) boot = 'boot-2';
    },
  } as unknown as HostLink;
  return { link, commands, reconnects: () => reconnects };
}

describe('reboot', () => {
  it('always a change without ifPathExists: one reboot step, every fact read again after', async () => {
    const plan = await planWith(reboot, {}, {});
    assert.deepEqual(plan.changes, [{ what: 'reboot', before: 'running', after: 'rebooted' }]);
    assert.deepEqual(plan.invalidates, ['*', baseFacts.key], 'every fact, the base facts (kernel) too');
    assert.deepEqual(plan.steps, [{ kind: 'reboot', timeoutS: 600 }]);
  });

  it('ifPathExists: no change when the path is absent, a reboot when present', async () => {
    assert.deepEqual((await planWith(reboot, { ifPathExists: FLAG }, nothingAt(FLAG))).changes, []);
    assert.deepEqual((await planWith(reboot, { ifPathExists: FLAG }, nothingAt(FLAG))).steps, []);
    assert.deepEqual((await planWith(reboot, { ifPathExists: FLAG }, aFile(FLAG, '*** System restart required ***\n'))).changes, [{ what: 'reboot', before: 'running', after: `rebooted (${FLAG} exists)` }]);
  });

  it('dry run after an apt task changed packages: an absent flag comes with the warning that they may ask for a reboot', async () => {
    const plan = await planWith(reboot, { ifPathExists: FLAG }, nothingAt(FLAG), { packages: { changes: ['relay-fixture', 'libc6'] } });
    assert.deepEqual(plan.changes, []);
    assert.match(plan.msg ?? '', /absent now, so no reboot is planned; the packages an earlier task changes \(relay-fixture, libc6\) may ask for one .*a dry run cannot know/);
    assert.equal((await planWith(reboot, { ifPathExists: FLAG }, nothingAt(FLAG))).msg, `no reboot needed: ${FLAG} is absent`);
  });

  it('the step schedules the reboot, reconnects until the boot id changed, waits for the boot to finish', async () => {
    const host = fakeHost({ staleReconnects: 1 });
    const plan = await planWith(reboot, { timeout: 30 }, {});
    assert.equal((await executeSteps(plan.steps, host.link, false, {} as LocalIO)).reportedChange, true);
    assert.equal(host.reconnects(), 2, 'a reconnection that still saw the old boot was made again');
    assert.equal(host.commands[1], REBOOT_ARGV.join(' '));
    assert.match(host.commands.at(-1)!, /^timeout \d+ systemctl is-system-running --wait$/);
  });

  it('a host that does not come back: fails after the timeout, saying why', async () => {
    const plan = await planWith(reboot, { timeout: 3 }, {});
    await assert.rejects(executeSteps(plan.steps, fakeHost({ neverBack: true }).link, false, {} as LocalIO), /web1 did not come back with a new boot within 3 s \(connection refused\)/);
  });
});
