import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { swapArgs, swapBinaries, swapScript } from './swap-binaries.ts';
import type { RunStep } from '../../engine/plan/types.ts';
import { ABSENT_FILE, fileFact, fileKey } from '../../engine/facts/file.ts';
import { validateParams } from '../../engine/playbook/validate.ts';
import { aFile, planWith, predicted } from '../../test/unit/modules/fake-facts.ts';

const B = '/usr/local/bin/smp-server';
const params = { binaries: [B], services: ['smp'], probes: [{ port: 5223, binary: B }] };

describe('swapBinaries', () => {
  it('installed == staged: no change, one probe step (an action)', async () => {
    const plan = await planWith(swapBinaries, params, { ...aFile(B, 'v2'), ...aFile(`${B}.new`, 'v2') });
    assert.deepEqual(plan.changes, []);
    assert.equal(plan.steps.length, 1);
    assert.equal((plan.steps[0] as RunStep).label, 'probe 5223');
  });
  it('staged differs: a swap, the new file predicted at PATH and the old one at PATH.prev', async () => {
    const plan = await planWith(swapBinaries, params, { ...aFile(B, 'v1'), ...aFile(`${B}.new`, 'v2') });
    assert.deepEqual(plan.changes.map((c) => c.what), [`swap ${B}`]);
    assert.match(String(plan.changes[0]!.after), /^sha256:/);
    assert.equal(predicted(plan, fileFact(B))!.content, 'v2');
    assert.equal(predicted(plan, fileFact(`${B}.prev`))!.content, 'v1');
    assert.match((plan.steps[0] as RunStep).label!, /^swap /);
  });
  it('staged but not built yet (dry run): a swap whose version is known once built', async () => {
    const plan = await planWith(swapBinaries, params, { ...aFile(B, 'v1'), [fileKey(`${B}.new`)]: { ...ABSENT_FILE, exists: true, type: 'file' } });
    assert.deepEqual(plan.changes.map((c) => c.after), ['(version known once built)']);
  });
  it('nothing staged is an error', async () => {
    await assert.rejects(planWith(swapBinaries, params, { ...aFile(B, 'v1'), [fileKey(`${B}.new`)]: { ...ABSENT_FILE } }), /\.new does not exist/);
  });
  it('TLS probes: the expected version and the fingerprint file are arguments, never script text; the scripts are valid bash', () => {
    const tls = { ...params, probes: [{ port: 5223, binary: B, expectVersion: 'SMP server v6.5.2', fingerprint: '/etc/opt/simplex/finger print' }, { port: 5353, binary: B }] };
    for (const swap of [false, true]) execFileSync('bash', ['-n', '-c', swapScript(swap)]);
    assert.deepEqual(swapArgs(tls), ['30', '1', 'smp', '1', B, '5223', B, 'SMP server v6.5.2', '/etc/opt/simplex/finger print', '5353', B, '', '']);
    assert.match(swapScript(true), /rolled=1; for b in/, 'after a rollback the previous binaries answer with their own version');
    // The script reads them back as they were given.
    const dump = `${swapScript(false).split('\n').slice(0, 2).join('\n')}\nprintf '%s|' "$T" "\${units[@]}" "\${bins[@]}" "\${probes[@]}"`;
    assert.equal(execFileSync('bash', ['-c', dump, 'swapBinaries', ...swapArgs({ ...tls, services: ["it's", 'b c'] })]).toString(), `30|it's|b c|${B}|5223|${B}|SMP server v6.5.2|/etc/opt/simplex/finger print|5353|${B}|||`);
  });
  it('services are unit names (a leading dash refused) and systemctl gets -- before them', () => {
    assert.ok(validateParams(swapBinaries.def.params, { ...params, services: ['-Hhost'] }).errors.length > 0);
    assert.deepEqual(validateParams(swapBinaries.def.params, { ...params, services: ['smp', 'xfp@1.service'] }).errors, []);
    const calls = swapScript(true).match(/systemctl [^;|&\n]*/g) ?? [];
    assert.ok(calls.length >= 4);
    for (const call of calls) assert.match(call, /^systemctl [a-z-]+ -- "\$\{units\[@\]\}"/, call);
  });
});
