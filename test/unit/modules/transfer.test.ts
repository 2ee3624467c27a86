import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileFact, fileKey, type FileFact } from '../../../engine/facts/file.ts';
import { PlanError, type Plan } from '../../../engine/plan/types.ts';
import { executeSteps } from '../../../engine/run/execute.ts';
import { CHUNK_BLOCKS } from '../../../engine/run/host-stream.ts';
import { transfer } from '../../../modules/transfer/transfer.ts';
import { fetch } from '../../../modules/fetch/fetch.ts';
import { localLink } from '../local-link.ts';
import { aDir, aFile, aLink, aUser, nothingAt, planWith, predicted, sha256 } from './fake-facts.ts';
import { shellIO } from './local-io.ts';

// transfer's source fact lives on the `from` host; the fake reader keys facts by key only, so the
// tests use different paths for src and dest.
const SRC = '/build/out/smp-server';
const DEST = '/usr/local/bin/smp-server';
const base = { from: 'build', src: SRC, dest: DEST };
// The folders of the dests the tests write to.
const folders = { ...aDir('/usr/local/bin'), ...aDir(tmpdir()) };

/** Runs a plan's steps: the dest is this machine (localLink), the `from` host too (shellIO records its commands). */
async function execute(plan: Plan, io = shellIO('build')) {
  const link = localLink();
  await executeSteps(plan.steps, link, false, io);
  return { link, io };
}


describe('transfer: planning', () => {
  it('no change when dest has the sha256 of src', async () => {
    const plan = await planWith(transfer, base, { ...folders, ...aFile(SRC, 'binary', { mode: '0755' }), ...aFile(DEST, 'binary', { mode: '0755' }) });
    assert.deepEqual(plan, { changes: [], steps: [] });
  });

  it('declares the source fact on the from host, the dest on its own', () => {
    const facts = transfer.def.facts(base as never, undefined);
    assert.deepEqual(facts.map((f) => [f.key, f.host]), [[fileKey(DEST), undefined], [fileKey('/usr/local/bin'), undefined], [fileKey(SRC), 'build']]);
  });

  it('a missing dest: content change, the mode of src, one local step, the predicted fact', async () => {
    const plan = await planWith(transfer, base, { ...folders, ...aFile(SRC, 'binary', { mode: '0755' }), ...nothingAt(DEST) });
    assert.deepEqual(plan.changes, [
      { what: 'content', before: '(absent)', after: `sha256:${sha256('binary')}` },
      { what: 'mode', before: null, after: '0755' },
    ]);
    assert.deepEqual(plan.steps, [{ kind: 'write', path: DEST, source: { kind: 'host', host: 'build', path: SRC }, mode: '0755' }]);
    assert.deepEqual(predicted(plan, fileFact(DEST)), {
      exists: true, type: 'file', mode: '0755', owner: null, group: null, size: 6, sha256: sha256('binary'), linkTarget: null, content: 'binary',
    } satisfies FileFact);
  });

  it('a different dest: content change from old to new sha256; mode and owner changes when given', async () => {
    const plan = await planWith(transfer, { ...base, mode: '0750', owner: 'smp' }, { ...folders, ...aFile(SRC, 'new'), ...aFile(DEST, 'old', { mode: '0755' }), ...aUser('smp') });
    assert.deepEqual(plan.changes, [
      { what: 'content', before: `sha256:${sha256('old')}`, after: `sha256:${sha256('new')}` },
      { what: 'owner', before: 'root', after: 'smp' },
      { what: 'mode', before: '0755', after: '0750' },
    ]);
    const after = predicted(plan, fileFact(DEST))!;
    assert.equal(after.mode, '0750');
    assert.equal(after.owner, 'smp');
    assert.equal(after.group, 'root');
  });

  it('same content, other mode: only chmod, no transfer', async () => {
    const plan = await planWith(transfer, { ...base, mode: '0700' }, { ...folders, ...aFile(SRC, 'x'), ...aFile(DEST, 'x') });
    assert.deepEqual(plan.changes, [{ what: 'mode', before: '0644', after: '0700' }]);
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: DEST, mode: '0700' }]);
  });

  it('a setuid src: a new dest gets its mode without the setuid/setgid/sticky bits (unless mode is given)', async () => {
    const plan = await planWith(transfer, base, { ...folders, ...aFile(SRC, 'binary', { mode: '6755' }), ...nothingAt(DEST) });
    assert.deepEqual(plan.changes[1], { what: 'mode', before: null, after: '0755' });
    assert.equal((plan.steps[0] as { mode?: string }).mode, '0755');
    const given = await planWith(transfer, { ...base, mode: '4755' }, { ...folders, ...aFile(SRC, 'binary', { mode: '6755' }), ...nothingAt(DEST) });
    assert.equal((given.steps[0] as { mode?: string }).mode, '4755');
  });

  it('a different dest is replaced only if it still has the sha256 the plan was made from', async () => {
    const plan = await planWith(transfer, base, { ...folders, ...aFile(SRC, 'new'), ...aFile(DEST, 'old') });
    assert.equal((plan.steps[0] as { replaces?: string }).replaces, sha256('old'));
  });

  it('a src that does not exist: PlanError naming the path and host', async () => {
    await assert.rejects(planWith(transfer, base, { ...folders, ...nothingAt(SRC), ...nothingAt(DEST) }), (e: Error) => e instanceof PlanError && e.message === `${SRC} does not exist on build, and no earlier task creates it`);
  });

  it('a src that is a directory or a link, a dest that is a directory: PlanError', async () => {
    await assert.rejects(planWith(transfer, base, { ...folders, ...aDir(SRC), ...nothingAt(DEST) }), /is a directory, not a regular file/);
    await assert.rejects(planWith(transfer, base, { ...folders, ...aLink(SRC, 'smp-server-5.4'), ...nothingAt(DEST) }), /symbolic link to smp-server-5.4/);
    await assert.rejects(planWith(transfer, base, { ...folders, ...aFile(SRC, 'x'), ...aDir(DEST) }), /is a directory: give the path of the file/);
  });

  it('a src predicted by an earlier task with an unknown checksum: plans the transfer, predicts an unknown sha256', async () => {
    const staged: FileFact = { exists: true, type: 'file', mode: null, owner: null, group: null, size: null, sha256: null, linkTarget: null };
    const plan = await planWith(transfer, { ...base, mode: '0755' }, { ...folders, [fileKey(SRC)]: staged, ...aFile(DEST, 'old') });
    assert.equal(plan.changes[0]!.after, `(checksum known once ${SRC} is built on build)`);
    assert.equal(predicted(plan, fileFact(DEST))!.sha256, null);
    assert.equal(plan.steps.length, 1);
  });

  it('a dest folder that does not exist: PlanError when planning, not a failed write', async () => {
    await assert.rejects(planWith(transfer, { ...base, dest: '/opt/relay/bin/smp-server' }, { ...aFile(SRC, 'x'), ...nothingAt('/opt/relay/bin/smp-server'), ...nothingAt('/opt/relay/bin') }), {
      message: 'the folder of /opt/relay/bin/smp-server does not exist, and no earlier task creates it',
    });
  });

  it('an owner that does not exist: PlanError', async () => {
    // No earlier task installs packages (that could create the user): planWith's default.
    await assert.rejects(planWith(transfer, { ...base, owner: 'ghost' }, { ...folders, ...aFile(SRC, 'x'), ...nothingAt(DEST), ...aUser('ghost', false) }), /owner 'ghost' does not exist/);
  });
});

/** A random file of `size` bytes in a fresh folder. */
function randomFile(size: number): { dir: string; path: string; data: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'transfer-'));
  const data = randomBytes(size);
  const path = join(dir, "src it's");
  writeFileSync(path, data, { mode: 0o750 });
  return { dir, path, data };
}

describe('transfer: the step, run by /bin/sh', () => {
  it('streams a file of several chunks (plus a tail) to dest, with the mode of src; each chunk read from the source host', async () => {
    const size = CHUNK_BLOCKS * 1024 * 1024 * 2 + 12345;
    const { dir, path, data } = randomFile(size);
    const dest = join(dir, 'dest $(touch pwned)');
    const plan = await planWith(transfer, { from: 'build', src: path, dest }, { ...aDir(dir), [fileKey(path)]: { ...aFile(path, '')[fileKey(path)]!, sha256: sha256(data), mode: '0750', content: undefined }, ...nothingAt(dest) });
    const { link, io } = await execute(plan);
    assert.ok(readFileSync(dest).equals(data));
    assert.equal((statSync(dest).mode & 0o7777).toString(8), '750');
    assert.equal(existsSync(join(dir, 'pwned')), false);
    // stat+sha256 first, then three dd chunks on the source host, pulled as the one write on the dest host takes them.
    assert.deepEqual(io.calls.map((c) => c.host), ['build', 'build', 'build', 'build']);
    assert.equal(link.execs.length, 1);
    assert.deepEqual(io.calls.filter((c) => c.command.startsWith('dd ')).map((c) => c.command.match(/skip=\d+/)![0]), ['skip=0', `skip=${CHUNK_BLOCKS}`, `skip=${2 * CHUNK_BLOCKS}`]);
    assert.ok(io.calls.filter((c) => c.command.startsWith('dd ')).every((c) => c.logOutput === false), "the file's bytes are not logged");
    assert.deepEqual(readdirSync(dir).sort(), ['dest $(touch pwned)', "src it's"]);
  });

  it('an empty file', async () => {
    const { dir, path } = randomFile(0);
    const dest = join(dir, 'empty');
    const plan = await planWith(transfer, { from: 'build', src: path, dest, mode: '0600' }, { ...aDir(dir), ...aFile(path, ''), ...nothingAt(dest) });
    await execute(plan);
    assert.equal(readFileSync(dest).length, 0);
    assert.equal((statSync(dest).mode & 0o7777).toString(8), '600');
  });

  it('a file that changes between the checksum and the copy: the transfer is aborted, dest untouched, no temp file', async () => {
    const { dir, path } = randomFile(1000);
    const dest = join(dir, 'dest');
    writeFileSync(dest, 'old');
    const plan = await planWith(transfer, { from: 'build', src: path, dest }, { ...aDir(dir), ...aFile(path, 'whatever'), ...aFile(dest, 'old') });
    const io = shellIO('build');
    const execOn = io.execOn;
    io.execOn = async (h, cmd, o) => {
      if (cmd.startsWith('dd ')) writeFileSync(path, randomBytes(1000));
      return execOn(h, cmd, o);
    };
    await assert.rejects(execute({ ...plan, steps: plan.steps.map((s) => ({ ...s, replaces: undefined })) }, io), /changed on build during the transfer \(sha256 [0-9a-f]{64}, 1000 bytes; expected [0-9a-f]{64}, 1000 bytes\)/);
    assert.equal(readFileSync(dest, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir).sort(), ['dest', "src it's"]);
  });

  it('a dest changed since the plan was made is left alone (compare-and-swap)', async () => {
    const { dir, path } = randomFile(100);
    const dest = join(dir, 'dest');
    writeFileSync(dest, 'old');
    const plan = await planWith(transfer, { from: 'build', src: path, dest }, { ...aDir(dir), ...aFile(path, 'whatever'), ...aFile(dest, 'old') });
    writeFileSync(dest, 'edited by hand');
    await assert.rejects(execute(plan), /changed since it was read .*nothing written/);
    assert.equal(readFileSync(dest, 'utf8'), 'edited by hand');
    assert.deepEqual(readdirSync(dir).sort(), ['dest', "src it's"]);
  });

  it('a src gone when the transfer starts: a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'transfer-'));
    const plan = await planWith(transfer, { from: 'build', src: join(dir, 'gone'), dest: join(dir, 'dest') }, { ...aDir(dir), ...aFile(join(dir, 'gone'), 'x'), ...nothingAt(join(dir, 'dest')) });
    await assert.rejects(execute(plan), /cannot read .*gone on build: .*gone does not exist/);
  });
});

describe('fetch', () => {
  const REMOTE = '/etc/opt/simplex/fingerprint';

  it('no change when the local file has the sha256 of src', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fetch-'));
    writeFileSync(join(dir, 'fp'), 'abc\n', { mode: 0o644 });
    const plan = await planWith(fetch, { src: REMOTE, dest: 'fp' }, aFile(REMOTE, 'abc\n'), { baseDir: dir });
    assert.deepEqual(plan, { changes: [], steps: [] });
  });

  it('a missing local file: a change naming the local path, the mode of src', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fetch-'));
    const plan = await planWith(fetch, { src: REMOTE, dest: 'out/fp' }, aFile(REMOTE, 'abc\n', { mode: '0600' }), { baseDir: dir });
    assert.deepEqual(plan.changes, [
      { what: `local file ${join(dir, 'out/fp')}`, before: '(absent)', after: `sha256:${sha256('abc\n')}` },
      { what: 'local mode', before: null, after: '0600' },
    ]);
    assert.equal(plan.after, undefined);
  });

  it('same content, other mode: only a local chmod', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fetch-'));
    writeFileSync(join(dir, 'fp'), 'abc\n', { mode: 0o644 });
    const plan = await planWith(fetch, { src: REMOTE, dest: 'fp', mode: '0400' }, aFile(REMOTE, 'abc\n'), { baseDir: dir });
    assert.deepEqual(plan.changes, [{ what: 'local mode', before: '0644', after: '0400' }]);
    await execute(plan);
    assert.equal((statSync(join(dir, 'fp')).mode & 0o7777).toString(8), '400');
  });

  it('a src that does not exist: PlanError; a local dest that is a directory: PrepareError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fetch-'));
    await assert.rejects(planWith(fetch, { src: REMOTE, dest: 'fp' }, nothingAt(REMOTE), { baseDir: dir }), /does not exist on web1, and no earlier task creates it/);
    await assert.rejects(planWith(fetch, { src: REMOTE, dest: '.' }, aFile(REMOTE, 'x'), { baseDir: dir }), /exists and is not a regular file/);
  });

  it('a setuid/setgid file on the host arrives without those bits', async () => {
    const { dir, path, data } = randomFile(10);
    chmodSync(path, 0o6755);
    const plan = await planWith(fetch, { src: path, dest: 'suid' }, { [fileKey(path)]: { ...aFile(path, '')[fileKey(path)]!, sha256: sha256(data), mode: '6755', content: undefined } }, { baseDir: dir });
    assert.deepEqual(plan.changes[1], { what: 'local mode', before: null, after: '0755' });
    await execute(plan);
    assert.equal((statSync(join(dir, 'suid')).mode & 0o7777).toString(8), '755');
  });

  it('the step streams the file into place, atomically, with the checksum checked', async () => {
    const { dir, path, data } = randomFile(CHUNK_BLOCKS * 1024 * 1024 + 7);
    const plan = await planWith(fetch, { src: path, dest: 'sub/dir/copy' }, { [fileKey(path)]: { ...aFile(path, '')[fileKey(path)]!, sha256: createHash('sha256').update(data).digest('hex'), mode: '0750', content: undefined } }, { baseDir: dir });
    await execute(plan);
    assert.ok(readFileSync(join(dir, 'sub/dir/copy')).equals(data));
    assert.equal((statSync(join(dir, 'sub/dir/copy')).mode & 0o7777).toString(8), '750');
    assert.deepEqual(readdirSync(join(dir, 'sub/dir')), ['copy']);
  });
});
