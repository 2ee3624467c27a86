import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileFact, type FileFact } from '../../engine/facts/file.ts';
import { programFact } from './facts.ts';
import { renderWrite } from '../../engine/plan/render.ts';
import { quote } from '../../engine/quote.ts';
import { PlanError, type LocalIO, type WriteStep } from '../../engine/plan/types.ts';
import { executeSteps } from '../../engine/run/execute.ts';
import { getUrl } from './get-url.ts';
import { localLink } from '../../test/unit/local-link.ts';
import { runLocally } from '../../test/unit/run-local.ts';
import { aDir, aFile, aGroup, aUser, nothingAt, planWith, predicted, sha256 } from '../../test/unit/modules/fake-facts.ts';

const DEST = '/usr/local/bin/smp-server';
const URL_ = 'http://10.77.0.1:8080/smp-server';
const SUM = sha256('binary v1\n');
const noLocal = {} as LocalIO;
const tools = (curl: boolean, wget: boolean) => ({
  [programFact('curl').key]: { exists: curl, path: curl ? '/usr/bin/curl' : null },
  [programFact('wget').key]: { exists: wget, path: wget ? '/usr/bin/wget' : null },
});

describe('getUrl', () => {
  it('absent dest: one download step from the controller, the predicted file with the expected sha256', async () => {
    const plan = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM.toUpperCase(), mode: '0755' }, nothingAt(DEST));
    assert.deepEqual(plan.changes, [
      { what: 'content', before: '(absent)', after: `sha256:${SUM}` },
      { what: 'mode', before: null, after: '0755' },
    ]);
    assert.deepEqual(plan.steps, [{ kind: 'write', path: DEST, source: { kind: 'url', url: URL_, timeoutMs: 600_000 }, sha256: SUM, mode: '0755' }]);
    assert.deepEqual(predicted(plan, fileFact(DEST)), { exists: true, type: 'file', mode: '0755', owner: null, group: null, size: null, sha256: SUM, linkTarget: null } satisfies FileFact);
  });

  it('converged: same sha256 and attributes, no steps; only attributes differ: chmod/chown without a download', async () => {
    const same = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM, mode: '0755' }, aFile(DEST, 'binary v1\n', { mode: '0755' }));
    assert.deepEqual(same.changes, []);
    assert.deepEqual(same.steps, []);
    const attrs = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM, mode: '0755', owner: 'smp' }, { ...aFile(DEST, 'binary v1\n'), ...aUser('smp') });
    assert.deepEqual(attrs.changes, [{ what: 'owner', before: 'root', after: 'smp' }, { what: 'mode', before: '0644', after: '0755' }]);
    assert.deepEqual(attrs.steps, [{ kind: 'attrs', path: DEST, owner: 'smp', mode: '0755' }]);
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
    assert.equal(predicted(fetched, fileFact(DEST))!.sha256, null);
  });

  it("via host: curl, else wget, else a PlanError", async () => {
    const curl = await planWith(getUrl, { url: URL_, dest: DEST, sha256: SUM, via: 'host', owner: 'smp', group: 'adm', mode: '0750' }, { ...nothingAt(DEST), ...aUser('smp'), ...aGroup('adm'), ...tools(true, true) });
    assert.deepEqual(curl.steps, [
      { kind: 'write', path: DEST, source: { kind: 'command', argv: ['curl', '-fsSL', '--max-time', '600', '--', URL_] }, sha256: SUM, mode: '0750', owner: 'smp', group: 'adm' },
    ]);
    const wget = await planWith(getUrl, { url: URL_, dest: DEST, via: 'host' }, { ...nothingAt(DEST), ...tools(false, true) });
    assert.deepEqual((wget.steps[0] as WriteStep).source, { kind: 'command', argv: ['wget', '-q', '-T', '600', '-O', '-', '--', URL_] });
    await assert.rejects(planWith(getUrl, { url: URL_, dest: DEST, via: 'host' }, { ...nothingAt(DEST), ...tools(false, false) }), (e: Error) => e instanceof PlanError && /curl or wget/.test(e.message));
  });

  it('refuses a directory, a link, a bad URL or checksum, a missing owner', async () => {
    await assert.rejects(planWith(getUrl, { url: URL_, dest: DEST }, aDir(DEST)), /is a directory/);
    await assert.rejects(planWith(getUrl, { url: 'ftp://x/y', dest: DEST }, nothingAt(DEST)), /invalid params/);
    await assert.rejects(planWith(getUrl, { url: URL_, dest: DEST, sha256: 'abc' }, nothingAt(DEST)), /invalid params/);
    await assert.rejects(planWith(getUrl, { url: URL_, dest: DEST, owner: 'nobody2' }, { ...nothingAt(DEST), ...aUser('nobody2', false) }), /does not exist/);
  });

  it('hostile URL and dest stay single arguments of the host download', async () => {
    const dest = "/srv/a b/'$(reboot)'";
    const url = "http://10.77.0.1:8080/x';reboot;'";
    const plan = await planWith(getUrl, { url, dest, via: 'host' }, { ...nothingAt(dest), ...tools(true, false) });
    const body = renderWrite(plan.steps[0] as WriteStep).body;
    assert.ok(body.includes(`curl -fsSL --max-time 600 -- ${quote(url)} >&3`), body);
    assert.ok(body.includes(`ss_cd '/srv/a b'`), body);
    assert.ok(body.includes(`ss_b=${quote("'$(reboot)'")};`), body);
  });
});

describe('getUrl writes, run by /bin/sh', () => {
  const dir = mkdtempSync(join(tmpdir(), "geturl-'sh "));

  it('via host: a fake curl prints the bytes; a wrong pinned sum leaves dest as it was, the right one replaces it', () => {
    const bin = mkdtempSync(join(tmpdir(), 'geturl-bin-'));
    writeFileSync(join(bin, 'curl'), '#!/bin/sh\nprintf "served\\n"\n', { mode: 0o755 });
    const dest = join(dir, 'fetched.bin');
    writeFileSync(dest, 'keep\n');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const step = (sum: string): WriteStep => ({ kind: 'write', path: dest, source: { kind: 'command', argv: ['curl', '-fsSL', '--', 'http://x/y'] }, sha256: sum });
    const bad = runLocally(step(sha256('other')), { env, allowFailure: true });
    assert.equal(bad.status, 24);
    assert.match(bad.stderr.toString(), /sha256 mismatch/);
    assert.equal(readFileSync(dest, 'utf8'), 'keep\n');
    assert.deepEqual(readdirSync(dir), ['fetched.bin'], 'no temp file left');
    const good = runLocally(step(sha256('served\n')), { env });
    assert.match(good.stdout.toString(), new RegExp(`sha256=${sha256('served\n')}`));
    assert.equal(readFileSync(dest, 'utf8'), 'served\n');
    assert.equal(statSync(dest).mode & 0o777, 0o644, 'keeps the old mode');
  });

  it('via the controller: downloaded by the engine and streamed; a wrong pinned sum aborts the transfer and leaves dest', async () => {
    const body = Buffer.from('x'.repeat(3 * 1024 * 1024 + 17));
    const server = createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob`;
    try {
      const dest = join(dir, 'downloaded.bin');
      writeFileSync(dest, 'old\n');
      const write = (sum: string): WriteStep => ({ kind: 'write', path: dest, source: { kind: 'url', url, timeoutMs: 10_000 }, sha256: sum, mode: '0600' });
      await assert.rejects(executeSteps([write(sha256('other'))], localLink(), false, noLocal), /sha256 mismatch for .*: expected .*, downloaded .*left as it was/);
      assert.equal(readFileSync(dest, 'utf8'), 'old\n');
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes('downloaded')), ['downloaded.bin'], 'no temp file left');
      await executeSteps([write(sha256(body))], localLink(), false, noLocal);
      assert.equal(sha256(readFileSync(dest)), sha256(body));
      assert.equal(statSync(dest).mode & 0o777, 0o600);
    } finally {
      server.close();
    }
  });
});
