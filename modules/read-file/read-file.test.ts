import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from './read-file.ts';
import { ABSENT_FILE, fileKey } from '../../engine/facts/file.ts';
import { aFile, planWith } from '../../test/unit/modules/fake-facts.ts';

describe('readFile', () => {
  it('puts the content in the output and changes nothing', async () => {
    const plan = await planWith(readFile, { path: '/var/lib/smp/fingerprint' }, aFile('/var/lib/smp/fingerprint', 'abc\n'));
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(plan.output, { exists: true, content: 'abc\n' });
  });
  it('an absent file reads as absent, or fails when required', async () => {
    const facts = { [fileKey('/x')]: { ...ABSENT_FILE } };
    assert.deepEqual((await planWith(readFile, { path: '/x' }, facts)).output, { exists: false, content: undefined });
    await assert.rejects(planWith(readFile, { path: '/x', required: true }, facts), /does not exist/);
  });
  it('a file predicted by a build (content unknown) is not mistaken for binary', async () => {
    const facts = { [fileKey('/x')]: { ...ABSENT_FILE, exists: true, type: 'file' } };
    assert.deepEqual((await planWith(readFile, { path: '/x' }, facts)).output, { exists: true, content: undefined });
  });
});
