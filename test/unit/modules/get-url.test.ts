import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileKey, type FileFact } from '../../../engine/facts/file.ts';
import { programKey } from '../../../engine/facts/program.ts';
import { renderRun } from '../../../engine/plan/render.ts';
import { PlanError, type LocalStep, type RunStep } from '../../../engine/plan/types.ts';
import { FINISH_SCRIPT, getUrl, RECEIVE_SCRIPT, STAGE_SCRIPT } from '../../../modules/get-url.ts';
import { aDir, aFile, aGroup, aUser, nothingAt, planWith, sha256 } from './fake-facts.ts';

const DEST = '/usr/local/bin/smp-server';
const URL_ = 'http://10.77.0.1:8080/smp-server';
const SUM = sha256('binary v1\n');
const tools = (curl: boolean, wget: boolean) => ({
  [programKey('curl')]: { exists: curl, path: curl ? '/usr/bin/curl' : null },
  [programKey('wget')]: { exists: wget, path: wget ? '/usr/bin/wget' : null },
});

describe('getUrl', () => {
  it('absent dest: one download step from the controller, the predicted file with the expected sha256', async () => {
    const plan = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM.toUpperCase(), mode: '0755' }, nothingAt(DEST));
    assert.deepEqual(plan.changes, [
      { what: 'content', before: '(absent)', after: `sha256:${SUM}` },
      { what: 'mode', before: null, after: '0755' },
    ]);
    assert.equal(plan.steps.length, 1);
    assert.equal(plan.steps[0]!.kind, 'local');
    assert.match((plan.steps[0] as LocalStep).describe, /download http:\/\/10\.77\.0\.1:8080\/smp-server on the controller/);
    assert.deepEqual(plan.after?.[fileKey(DEST)], { exists: true, type: 'file', mode: '0755', owner: null, group: null, size: null, sha256: SUM, linkTarget: null } satisfies FileFact);
  });

  it('converged: same sha256 and attributes, no steps; only attributes differ: chmod/chown without a download', async () => {
    const same = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM, mode: '0755' }, aFile(DEST, 'binary v1\n', { mode: '0755' }));
    assert.deepEqual(same.changes, []);
    assert.deepEqual(same.steps, []);
    const attrs = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM, mode: '0755', owner: 'smp' }, { ...aFile(DEST, 'binary v1\n'), ...aUser('smp') });
    assert.deepEqual(attrs.changes, [{ what: 'owner', before: 'root', after: 'smp' }, { what: 'mode', before: '0644', after: '0755' }]);
    assert.deepEqual(attrs.steps, [{ kind: 'run', argv: ['chown', 'smp', '--', DEST] }, { kind: 'run', argv: ['chmod', '0755', '--', DEST] }]);
  });

  it('another sha256 at dest: a download, before and after sums', async () => {
    const plan = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM }, aFile(DEST, 'binary v0\n'));
    assert.deepEqual(plan.changes, [{ what: 'content', before: `sha256:${sha256('binary v0\n')}`, after: `sha256:${SUM}` }]);
  });

  it('without sha256, an existing file is left alone (existence only) and a missing one downloaded', async () => {
    const kept = await planWith(getUrl, { url: URL_, dest: DEST }, aFile(DEST, 'whatever\n'));
    assert.deepEqual(kept.changes, []);
    assert.match(kept.msg ?? '', /no sha256 given: not compared/);
    const fetched = await planWith(getUrl, { url: URL_, dest: DEST }, nothingAt(DEST));
    assert.deepEqual(fetched.changes, [{ what: 'content', before: '(absent)', after: `(download of ${URL_})` }]);
    assert.equal((fetched.after?.[fileKey(DEST)] as FileFact).sha256, null);
  });

  it("via host: curl, else wget, else a PlanError", async () => {
    const curl = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM, via: 'host', owner: 'smp', group: 'adm', mode: '0750' }, { ...nothingAt(DEST), ...aUser('smp'), ...aGroup('adm'), ...tools(true, true) });
    const argv = (curl.steps[0] as RunStep).argv;
    assert.deepEqual(argv.slice(3), ['getUrl', DEST, SUM, 'smp:adm', '0750', 'curl', URL_, '600']);
    const wget = await planWith(getUrl, { url: URL_, dest: DEST, via: 'host' }, { ...nothingAt(DEST), ...tools(false, true) });
    assert.equal((wget.steps[0] as RunStep).argv[8], 'wget');
    await assert.rejects(planWith(getUrl, { url: URL_, dest: DEST, via: 'host' }, { ...nothingAt(DEST), ...tools(false, false) }), (e: Error) => e instanceof PlanError && /curl or wget/.test(e.message));
  });

  it('refuses a directory, a link, a bad URL or checksum, a missing owner', async () => {
    await assert.rejects(planWith(getUrl, { url: URL_, dest: DEST }, aDir(DEST)), /is a directory/);
    await assert.rejects(planWith(getUrl, { url: 'ftp://x/y', dest: DEST }, nothingAt(DEST)), /invalid params/);
    await assert.rejects(planWith(getUrl, { url: URL_, dest: DEST, sha256: 'abc' }, nothingAt(DEST)), /invalid params/);
    await assert.rejects(planWith(getUrl, { url: URL_, dest: DEST, owner: 'nobody2' }, { ...nothingAt(DEST), ...aUser('nobody2', false) }), /does not exist/);
  });

  it('hostile URL and dest are positional arguments of a fixed script', async () => {
    const dest = "/srv/a b/'$(reboot)'";
    const url = "http://10.77.0.1:8080/x';reboot;'";
    const plan = await planWith(getUrl, { url, dest, via: 'host' }, { ...nothingAt(dest), ...tools(true, false) });
    const cmd = renderRun(plan.steps[0] as RunStep).command;
    assert.ok(cmd.startsWith("sh -c 'set -e"), cmd);
    assert.ok(cmd.includes(` getUrl '/srv/a b/'\\''$(reboot)'\\''' '' '' '' curl 'http://10.77.0.1:8080/x'\\'';reboot;'\\''' 600`), cmd);
  });
});

describe('getUrl host scripts, run by /bin/sh', () => {
  const dir = mkdtempSync(join(tmpdir(), "geturl-'sh "));
  const sh = (script: string, args: string[], input?: string) => {
    try {
      return { code: 0, out: execFileSync('sh', ['-c', script, 'getUrl', ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }) };
    } catch (e) {
      const err = e as { status: number; stderr: string };
      return { code: err.status, out: err.stderr };
    }
  };

  it('stage then finish: the temp file is renamed only when the sums agree; a mismatch leaves dest and no temp file', () => {
    const dest = join(dir, 'payload.bin');
    writeFileSync(dest, 'old\n');
    const staged = sh(STAGE_SCRIPT, [dest], 'new bytes\n');
    assert.equal(staged.code, 0);
    const tmp = /^tmp=(.+)$/m.exec(staged.out)![1]!;
    assert.equal(readFileSync(tmp, 'utf8'), 'new bytes\n');
    const bad = sh(FINISH_SCRIPT, [dest, tmp, sha256('other'), '', '0640']);
    assert.equal(bad.code, 3);
    assert.match(bad.out, /sha256 mismatch/);
    assert.equal(readFileSync(dest, 'utf8'), 'old\n');
    assert.deepEqual(readdirSync(dir), ['payload.bin'], 'the temp file is gone');

    const again = /^tmp=(.+)$/m.exec(sh(STAGE_SCRIPT, [dest], 'new bytes\n').out)![1]!;
    assert.equal(sh(FINISH_SCRIPT, [dest, again, sha256('new bytes\n'), '', '0640']).code, 0);
    assert.equal(readFileSync(dest, 'utf8'), 'new bytes\n');
    assert.equal(statSync(dest).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir), ['payload.bin']);
  });

  it('the host download script refuses a wrong sum and keeps dest (a fake curl writes the bytes)', () => {
    const bin = mkdtempSync(join(tmpdir(), 'geturl-bin-'));
    writeFileSync(join(bin, 'curl'), '#!/bin/sh\nwhile [ "$1" != -o ]; do shift; done\nprintf "served\\n" > "$2"\n', { mode: 0o755 });
    const dest = join(dir, 'fetched.bin');
    writeFileSync(dest, 'keep\n');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const run = (expected: string) => {
      try {
        execFileSync('sh', ['-c', RECEIVE_SCRIPT, 'getUrl', dest, expected, '', '', 'curl', 'http://x/y', '5'], { env, stdio: 'pipe' });
        return 0;
      } catch (e) {
        return (e as { status: number }).status;
      }
    };
    assert.equal(run(sha256('other')), 3);
    assert.equal(readFileSync(dest, 'utf8'), 'keep\n');
    assert.equal(run(sha256('served\n')), 0);
    assert.equal(readFileSync(dest, 'utf8'), 'served\n');
    assert.equal(statSync(dest).mode & 0o777, 0o644, 'keeps the old mode');
  });
});
