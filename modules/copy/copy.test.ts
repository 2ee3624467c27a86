import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileFact, type FileFact } from '../../engine/facts/file.ts';
import { PrepareError } from '../../engine/module.ts';
import { renderWrite, script } from '../../engine/plan/render.ts';
import { runLocally } from '../../test/unit/run-local.ts';
import { PlanError, type WriteStep } from '../../engine/plan/types.ts';
import { isSecret, secret } from '../../engine/secret.ts';
import { copy } from './copy.ts';
import { aDir, aFile, aLink, aUser, nothingAt, planWith, predicted, sha256 } from '../../test/unit/modules/fake-facts.ts';

const DEST = '/etc/app/app.conf';

const pick = (f: unknown) => { const x = f as FileFact; return [x.mode, x.owner, x.group]; };

describe('copy', () => {
  it('creates a missing file: one content change with diff text, one write, the predicted fact', async () => {
    const plan = await planWith(copy, { dest: DEST, content: 'a=1\n', mode: '0640' }, nothingAt(DEST));
    assert.deepEqual(plan.changes, [
      { what: 'content', before: '(absent)', after: `sha256:${sha256('a=1\n')}`, text: { path: DEST, before: '', after: 'a=1\n' } },
      { what: 'mode', before: null, after: '0640' },
    ]);
    assert.deepEqual(plan.steps, [{ kind: 'write', path: DEST, content: 'a=1\n', mode: '0640' }]);
    assert.deepEqual(predicted(plan, fileFact(DEST)), {
      exists: true, type: 'file', mode: '0640', owner: null, group: null, size: 4, sha256: sha256('a=1\n'), linkTarget: null, content: 'a=1\n',
    } satisfies FileFact);
  });

  it('a new file belongs to whoever writes it, in a setgid folder to its group (issue 16, defect 11)', async () => {
    const root = { writer: { user: 'root', group: 'root' } };
    const plain = await planWith(copy, { dest: '/srv/a', content: 'a\n' }, { ...nothingAt('/srv/a'), ...aDir('/srv') }, root);
    assert.deepEqual(pick(predicted(plain, fileFact('/srv/a'))), ['0644', 'root', 'root']);
    const shared = await planWith(copy, { dest: '/srv/s/a', content: 'a\n' }, { ...nothingAt('/srv/s/a'), ...aDir('/srv/s', { mode: '2775', group: 'staff' }) }, root);
    assert.deepEqual(pick(predicted(shared, fileFact('/srv/s/a'))), ['0644', 'root', 'staff']);
  });

  it('a file in a folder that does not exist, or is a file, is refused in the plan (issue 16, defect 6)', async () => {
    await assert.rejects(planWith(copy, { dest: '/srv/none/a', content: 'a' }, { ...nothingAt('/srv/none/a'), ...nothingAt('/srv/none') }), (e: unknown) => e instanceof PlanError && /^the folder \/srv\/none does not exist \(and no earlier task creates it\): create it first, with file\(\{ path: '\/srv\/none', state: 'directory' \}\)$/.test(e.message));
    await assert.rejects(planWith(copy, { dest: '/srv/f/a', content: 'a' }, { ...nothingAt('/srv/f/a'), ...aFile('/srv/f', '') }), /\/srv\/f is a file, not a folder/);
  });

  it('no change when content and attributes match', async () => {
    const plan = await planWith(copy, { dest: DEST, content: 'a=1\n', mode: '0644', owner: 'root' }, { ...aFile(DEST, 'a=1\n'), ...aUser('root', true, 0) });
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.steps, []);
  });

  it('only the mode differs: chmod, no rewrite', async () => {
    const plan = await planWith(copy, { dest: DEST, content: 'a=1\n', mode: '0600' }, aFile(DEST, 'a=1\n'));
    assert.deepEqual(plan.changes, [{ what: 'mode', before: '0644', after: '0600' }]);
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: DEST, mode: '0600' }]);
    assert.equal(predicted(plan, fileFact(DEST))!.content, 'a=1\n');
  });

  it('only the owner differs: chown, no rewrite', async () => {
    const plan = await planWith(copy, { dest: DEST, content: 'a=1\n', owner: 'app' }, { ...aFile(DEST, 'a=1\n'), ...aUser('app') });
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: DEST, owner: 'app' }]);
  });

  it('changed content: diff of before and after, write keeps the other half of owner:group', async () => {
    const plan = await planWith(copy, { dest: DEST, content: 'a=2\n', owner: 'app', backup: true, validate: 'app --check %s' }, { ...aFile(DEST, 'a=1\n', { group: 'adm' }), ...aUser('app') });
    assert.deepEqual(plan.changes[0]!.text, { path: DEST, before: 'a=1\n', after: 'a=2\n' });
    assert.deepEqual(plan.steps, [{ kind: 'write', path: DEST, content: 'a=2\n', owner: 'app', group: 'adm', validate: 'app --check %s', backup: true, replaces: sha256('a=1\n') }]);
    const after = predicted(plan, fileFact(DEST))!;
    assert.equal(after.owner, 'app');
    assert.equal(after.group, 'adm');
    assert.equal(after.mode, '0644');
  });

  it('a secret content: sensitive change, no text, no secret in changes; the write carries the Secret', async () => {
    const token = secret('copy-secret-value-42');
    const plan = await planWith(copy, { dest: DEST, content: token }, aFile(DEST, 'old\n'));
    assert.equal(plan.changes.length, 1);
    assert.equal(plan.changes[0]!.sensitive, true);
    assert.equal(plan.changes[0]!.text, undefined);
    assert.doesNotMatch(JSON.stringify(plan.changes), /copy-secret-value-42/);
    const step = plan.steps[0] as WriteStep;
    assert.ok(isSecret(step.content));
    assert.doesNotMatch(script([renderWrite(step)]), /copy-secret-value-42/);
    assert.equal(predicted(plan, fileFact(DEST))!.sensitive, true);
  });

  it('a file predicted from a secret stays sensitive for a later copy', async () => {
    const plan = await planWith(copy, { dest: DEST, content: 'public\n' }, aFile(DEST, 'secret-ish\n', { sensitive: true }));
    assert.equal(plan.changes[0]!.sensitive, true);
    assert.equal(plan.changes[0]!.text, undefined);
  });

  it('no text diff when the old file is binary or too large (no content in its fact)', async () => {
    const plan = await planWith(copy, { dest: DEST, content: 'x\n' }, aFile(DEST, 'ignored', { content: undefined, sha256: 'ab'.repeat(32) }));
    assert.equal(plan.changes[0]!.text, undefined);
    assert.equal(plan.changes[0]!.before, `sha256:${'ab'.repeat(32)}`);
  });

  it('src: a local file relative to the playbook folder, compared by sha256', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copy-src-'));
    mkdirSync(join(dir, 'files'));
    const bytes = Buffer.from([0, 1, 2, 255]);
    writeFileSync(join(dir, 'files', 'blob.bin'), bytes);
    const plan = await planWith(copy, { dest: '/opt/blob.bin', src: 'files/blob.bin' }, nothingAt('/opt/blob.bin'), { baseDir: dir });
    assert.equal((plan.steps[0] as WriteStep).content!.toString('hex' as never), bytes.toString('hex'));
    assert.equal(plan.changes[0]!.text, undefined, 'binary content has no text diff');
    assert.equal(predicted(plan, fileFact('/opt/blob.bin'))!.sha256, sha256(bytes));
    const same = await planWith(copy, { dest: '/opt/blob.bin', src: 'files/blob.bin' }, aFile('/opt/blob.bin', '', { sha256: sha256(bytes), content: undefined }), { baseDir: dir });
    assert.deepEqual(same.changes, []);
  });

  it('a missing src is a PrepareError on src', async () => {
    await assert.rejects(planWith(copy, { dest: DEST, src: 'nope.txt' }, {}, { baseDir: tmpdir() }), (e: unknown) => e instanceof PrepareError && e.field === 'src' && /does not exist/.test(e.message));
  });

  it('needs exactly one of content and src; validate must have %s', async () => {
    await assert.rejects(planWith(copy, { dest: DEST }, {}), PrepareError);
    await assert.rejects(planWith(copy, { dest: DEST, content: 'x', src: 'y' }, {}), PrepareError);
    await assert.rejects(planWith(copy, { dest: DEST, content: 'x', validate: 'sshd -t' }, {}), (e: unknown) => e instanceof PrepareError && e.field === 'validate');
  });

  it('refuses a directory or a symbolic link at dest', async () => {
    await assert.rejects(planWith(copy, { dest: DEST, content: 'x' }, aDir(DEST)), (e: unknown) => e instanceof PlanError && /directory/.test(e.message));
    await assert.rejects(planWith(copy, { dest: DEST, content: 'x' }, aLink(DEST, '/elsewhere')), (e: unknown) => e instanceof PlanError && /symbolic link to \/elsewhere/.test(e.message));
  });

  it('force false leaves an existing file alone but creates a missing one', async () => {
    assert.deepEqual((await planWith(copy, { dest: DEST, content: 'new', force: false }, aFile(DEST, 'old'))).changes, []);
    assert.equal((await planWith(copy, { dest: DEST, content: 'new', force: false }, nothingAt(DEST))).steps.length, 1);
  });
});

describe('copy: the write step on a real shell', () => {
  it('writes atomically to a hostile path with the mode set, and a second plan is converged', async () => {
    const dir = mkdtempSync(join(tmpdir(), "copy sh 'x' $(y)-"));
    const dest = join(dir, "it's a $(file).conf");
    const plan = await planWith(copy, { dest, content: 'hello\n', mode: '0600' }, nothingAt(dest));
    runLocally(plan.steps[0]!);
    assert.equal(readFileSync(dest, 'utf8'), 'hello\n');
    assert.equal((statSync(dest).mode & 0o7777).toString(8), '600');
    assert.deepEqual(readdirSync(dir), ["it's a $(file).conf"], 'no temp file left, nothing created by the $(...)');
    const again = await planWith(copy, { dest, content: 'hello\n', mode: '0600' }, aFile(dest, 'hello\n', { mode: '0600' }));
    assert.deepEqual(again.changes, []);
  });

  it('a failing validate leaves the old file untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copy-validate-'));
    const dest = join(dir, 'f.conf');
    writeFileSync(dest, 'old\n');
    const plan = await planWith(copy, { dest, content: 'bad\n', validate: 'grep -q good %s' }, aFile(dest, 'old\n'));
    assert.throws(() => runLocally(plan.steps[0]!), /validation failed/);
    assert.equal(readFileSync(dest, 'utf8'), 'old\n');
    assert.deepEqual(readdirSync(dir), ['f.conf']);
  });
});
