import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { BaseFacts } from '../../../engine/facts/base.ts';
import { PlanError } from '../../../engine/plan/types.ts';
import { assert as assertModule } from '../../../modules/assert/assert.ts';
import { debug } from '../../../modules/debug/debug.ts';
import { planWith } from './fake-facts.ts';

const bookworm: BaseFacts = {
  os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  arch: 'x86_64', kernel: '6.1.0', hostname: 'relay1', memoryMb: 1969, loginUser: 'deploy',
};
const bullseyeSmall: BaseFacts = { ...bookworm, os: { id: 'debian', versionId: '11', codename: 'bullseye', prettyName: 'Debian 11' }, memoryMb: 512 };

describe('assert', () => {
  it('ok when every condition holds: no change, no step', async () => {
    const plan = await planWith(assertModule, { osId: 'debian', osVersion: ['12', '13'], osCodename: 'bookworm', arch: 'x86_64', minMemoryMb: 1024, that: true }, {}, { base: bookworm });
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.steps, []);
  });

  it('fails with every failed condition named, the value found and the one wanted', async () => {
    await assert.rejects(
      planWith(assertModule, { osId: 'debian', osVersion: '12', minMemoryMb: 1024, msg: 'the relay guide needs Debian 12 and 1 GiB' }, {}, { base: bullseyeSmall }),
      (e: Error) => e instanceof PlanError && e.message === "the relay guide needs Debian 12 and 1 GiB: assertion failed: osVersion: the OS version is '11', expected '12'; minMemoryMb: the host has 512 MiB of memory, at least 1024 MiB needed",
    );
    await assert.rejects(planWith(assertModule, { arch: ['aarch64', 'armv7l'] }, {}, { base: bookworm }), { message: "assertion failed: arch: the architecture is 'x86_64', expected one of 'aarch64', 'armv7l'" });
  });

  it('that: a condition of the host, plain or named', async () => {
    await assert.rejects(planWith(assertModule, { that: false, msg: 'swap must be off' }, {}, { base: bookworm }), { message: 'swap must be off: assertion failed: that: the condition is false' });
    await assert.rejects(planWith(assertModule, { that: { 'domain set': true, 'email set': false } }, {}, { base: bookworm }), { message: "assertion failed: that: 'email set' is false" });
    assert.deepEqual((await planWith(assertModule, { that: { 'domain set': true } }, {}, { base: bookworm })).changes, []);
  });

  it('nothing to check is a mistake', async () => {
    await assert.rejects(planWith(assertModule, {}, {}, { base: bookworm }), /give at least one condition/);
  });
});

describe('debug', () => {
  it('a message for the user, never a change; the text in the output for register', async () => {
    const plan = await planWith(debug, { msg: 'smp://abc@relay1.example.org' }, {});
    assert.deepEqual(plan, { changes: [], steps: [], message: 'smp://abc@relay1.example.org', output: { msg: 'smp://abc@relay1.example.org' } });
  });
});
