import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { fileFact } from '../../engine/facts/file.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { isSecret, secret } from '../../engine/secret.ts';
import { blockinfile, editBlock, type BlockEdit } from './blockinfile.ts';
import { aFile, aGroup, aUser, nothingAt, planWith, predicted, sha256 } from '../../test/unit/modules/fake-facts.ts';

const B = '# BEGIN MANAGED BLOCK\n';
const E = '# END MANAGED BLOCK\n';

// [name, file text, edit, expected text]
const cases: Array<[string, string, BlockEdit, string]> = [
  ['appends a new block at the end', 'a\n', { block: 'x\ny' }, `a\n${B}x\ny\n${E}`],
  ['to an empty file', '', { block: 'x' }, `${B}x\n${E}`],
  ['a last line without newline gets one', 'a', { block: 'x' }, `a\n${B}x\n${E}`],
  ['a block already there is left alone', `a\n${B}x\n${E}b\n`, { block: 'x\n' }, `a\n${B}x\n${E}b\n`],
  ['a different block is replaced in place', `a\n${B}old\nold2\n${E}b\n`, { block: 'new' }, `a\n${B}new\n${E}b\n`],
  ['the closing marker without a trailing newline still matches', `a\n${B}x\n# END MANAGED BLOCK`, { block: 'x' }, `a\n${B}x\n# END MANAGED BLOCK`],
  ['insertafter: after the last matching line', '[a]\n1\n[a]\n2\n', { block: 'x', insertafter: '^\\[a\\]' }, `[a]\n1\n[a]\n${B}x\n${E}2\n`],
  ['insertafter not found: at the end', 'a\n', { block: 'x', insertafter: '^zzz' }, `a\n${B}x\n${E}`],
  ['insertbefore: before the last matching line', 'a\nMatch x\nb\n', { block: 'x', insertbefore: '^Match' }, `a\n${B}x\n${E}Match x\nb\n`],
  ['insertbefore BOF', 'a\n', { block: 'x', insertbefore: 'BOF' }, `${B}x\n${E}a\n`],
  ['an existing block stays where it is, whatever insertafter says', `${B}x\n${E}a\n`, { block: 'y', insertafter: '^a' }, `${B}y\n${E}a\n`],
  ['absent removes the block and its markers', `a\n${B}x\n${E}b\n`, { block: '', state: 'absent' }, 'a\nb\n'],
  ['an empty block removes it, as in Ansible', `a\n${B}x\n${E}`, { block: '' }, 'a\n'],
  ['absent without a block: unchanged', 'a\n', { block: '', state: 'absent' }, 'a\n'],
  ['custom marker and marks', `a\n`, { block: 'x', marker: '// {mark} relays', markerBegin: 'start', markerEnd: 'stop' }, 'a\n// start relays\nx\n// stop relays\n'],
  ['a block with another marker is another block', `${B}x\n${E}`, { block: 'y', marker: '# {mark} two' }, `${B}x\n${E}# BEGIN two\ny\n# END two\n`],
];

describe('blockinfile: editBlock', () => {
  for (const [name, before, edit, after] of cases) it(name, () => assert.equal(editBlock(before, edit).text, after));
  it('says what it did', () => {
    assert.equal(editBlock('', { block: 'x' }).msg, 'block added');
    assert.equal(editBlock(`${B}x\n${E}`, { block: 'y' }).msg, 'block replaced');
    assert.equal(editBlock(`${B}x\n${E}`, { block: 'x' }).msg, '');
    assert.equal(editBlock(`${B}x\n${E}`, { block: 'x', state: 'absent' }).msg, 'block removed');
  });
});

const PATH = '/etc/ssh/sshd_config';

describe('blockinfile: plan', () => {
  it('a text diff, one atomic write with validate, the predicted content', async () => {
    const plan = await planWith(blockinfile, { path: PATH, block: 'PermitRootLogin no', validate: 'sshd -t -f %s', backup: true }, aFile(PATH, 'Port 22\n'));
    assert.equal(plan.changes.length, 1);
    assert.deepEqual(plan.changes[0]!.text, { path: PATH, before: 'Port 22\n', after: `Port 22\n${B}PermitRootLogin no\n${E}` });
    assert.deepEqual(plan.steps, [{ kind: 'write', path: PATH, content: `Port 22\n${B}PermitRootLogin no\n${E}`, validate: 'sshd -t -f %s', backup: true, replaces: sha256('Port 22\n') }]);
    assert.equal(predicted(plan, fileFact(PATH))!.content, `Port 22\n${B}PermitRootLogin no\n${E}`);
  });

  it('converged: nothing; and planning on the prediction converges', async () => {
    const first = await planWith(blockinfile, { path: PATH, block: 'x' }, aFile(PATH, 'a\n'));
    const again = await planWith(blockinfile, { path: PATH, block: 'x' }, first.after!);
    assert.deepEqual([again.changes, again.steps], [[], []]);
  });

  it('converged text, other attributes: chown/chmod only', async () => {
    const plan = await planWith(blockinfile, { path: PATH, block: 'x', mode: '0600', owner: 'app' }, { ...aFile(PATH, `${B}x\n${E}`), ...aUser('app') });
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: PATH, owner: 'app', mode: '0600' }]);
  });

  it('missing file: an error unless create (then the folder is made too)', async () => {
    await assert.rejects(planWith(blockinfile, { path: '/etc/x/y.conf', block: 'x' }, nothingAt('/etc/x/y.conf')), PlanError);
    const plan = await planWith(blockinfile, { path: '/etc/x/y.conf', block: 'x', create: true, mode: '0640', group: 'app' }, { ...nothingAt('/etc/x/y.conf'), ...aGroup('app') });
    assert.deepEqual(plan.steps[0], { kind: 'mkdir', path: '/etc/x' });
    assert.deepEqual({ ...plan.steps[1], content: undefined }, { kind: 'write', path: '/etc/x/y.conf', content: undefined, mode: '0640', group: 'app', owner: undefined });
    const absent = await planWith(blockinfile, { path: '/etc/x/y.conf', state: 'absent' }, nothingAt('/etc/x/y.conf'));
    assert.deepEqual(absent.changes, []);
  });

  it('a secret block: no diff text, the write content stays a secret', async () => {
    const plan = await planWith(blockinfile, { path: '/etc/app.env', block: secret('TOKEN=s3cr3t-value') }, aFile('/etc/app.env', 'A=1\n'));
    assert.equal(plan.changes[0]!.sensitive, true);
    assert.equal(plan.changes[0]!.text, undefined);
    assert.ok(!JSON.stringify(plan.changes).includes('s3cr3t-value'));
    assert.ok(isSecret((plan.steps[0] as any).content));
  });

  it('bad params: same markers, both anchors, present without block, a newline in the marker', async () => {
    await assert.rejects(planWith(blockinfile, { path: PATH, block: 'x', marker: '# managed' }, aFile(PATH, '')), /same line/);
    await assert.rejects(planWith(blockinfile, { path: PATH, block: 'x', insertafter: 'a', insertbefore: 'b' }, aFile(PATH, '')), /not both/);
    await assert.rejects(planWith(blockinfile, { path: PATH }, aFile(PATH, '')), /needs block/);
    await assert.rejects(planWith(blockinfile, { path: PATH, block: 'x', marker: '# {mark}\nrm' }, aFile(PATH, '')), /invalid params/);
  });
});
