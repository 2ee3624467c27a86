// transfer and fetch on lab nodes: a 256 MiB file made on node7 goes to node8 through the
// controller (dry run == real run, converged, the same sha256 on both ends, the controller's peak
// memory far below the file's size); a corrupted copy is replaced; a missing source is a clear
// error; fetch brings the file back to the controller, and a corrupted local copy is replaced.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { applyCycle } from '../cycle.ts';
import { engine, pairs, type CliResult } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { APT_REPO_URL, sshRun } from '../../lab/index.ts';

const PB = 'test/fixtures/playbooks/modules/transfer.ts';
const FROM = 'node7';
const TO = 'node8';
const SIZE_MB = 256;
const RSS_ENV = { NODE_OPTIONS: `--import ${join(import.meta.dirname, 'max-rss.mjs')}` };
let inventory: string;
let srcSha: string;

async function sha(host: string, path: string): Promise<string> {
  const r = await sshRun(host, `sha256sum ${path} 2>&1`, { user: 'root' });
  return r.stdout.trim().split(/\s+/)[0]!;
}

function maxRssMb(r: CliResult): number {
  const m = r.stderr.match(/maxrss_kb=(\d+)/);
  assert.ok(m, `no maxrss in the engine's stderr:\n${r.stderr}`);
  return Number(m[1]) / 1024;
}

async function localSha(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

describe('transfer and fetch on lab nodes', { timeout: 900_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
    await freshHosts(FROM, TO);
    const r = await sshRun(FROM, `dd if=/dev/urandom of=/root/big.bin bs=1M count=${SIZE_MB} status=none && chmod 0640 /root/big.bin && sha256sum /root/big.bin`, { user: 'root', check: true });
    srcSha = r.stdout.trim().split(/\s+/)[0]!;
    assert.match(srcSha, /^[0-9a-f]{64}$/);
  });

  test(`a ${SIZE_MB} MiB file from node7 to node8: dry run == real run, converged, same sha256, streamed`, async () => {
    assert.equal(await sha(TO, '/usr/local/bin/big.bin'), 'sha256sum:', 'no file on the fresh node8');
    const cycle = await applyCycle(PB, { limit: TO, env: RSS_ENV });
    assert.deepEqual(cycle.changed, [`${TO} binary`]);
    const planned = cycle.dry.events.find((e) => e.type === 'task.result' && e.task === 'binary');
    assert.deepEqual(planned?.changes, [
      { what: 'content', before: '(absent)', after: `sha256:${srcSha}` },
      { what: 'mode', before: null, after: '0755' },
    ]);
    assert.equal(await sha(TO, '/usr/local/bin/big.bin'), srcSha);
    const st = await sshRun(TO, "stat -c '%a %U %G %s' /usr/local/bin/big.bin; ls -a /usr/local/bin | grep -c shipshape", { user: 'root' });
    assert.equal(st.stdout.trim(), `755 root root ${SIZE_MB * 1024 * 1024}\n0`, 'mode, owner and size as asked, no temp file left');
    // The run that moved the file peaks well below the converged run plus the file (held whole, it
    // would be there at least twice: the command's output, then its concatenation). What remains is
    // chunks in flight and the garbage collector's slack on external buffers.
    const moved = maxRssMb(cycle.real);
    const idle = maxRssMb(cycle.again);
    assert.ok(moved - idle < SIZE_MB / 2, `the transfer run peaked at ${moved.toFixed(0)} MiB, the converged run at ${idle.toFixed(0)} MiB: the file was held in memory`);
  });

  test('a corrupted copy on node8 is found by its sha256 and replaced', async () => {
    await sshRun(TO, 'printf garbage | dd of=/usr/local/bin/big.bin bs=1 seek=1000 conv=notrunc status=none', { user: 'root', check: true });
    assert.notEqual(await sha(TO, '/usr/local/bin/big.bin'), srcSha);
    const cycle = await applyCycle(PB, { limit: TO });
    assert.deepEqual(cycle.changed, [`${TO} binary`]);
    assert.equal(await sha(TO, '/usr/local/bin/big.bin'), srcSha);
  });

  test('only the mode differs: chmod, no transfer', async () => {
    const cycle = await applyCycle(PB, { limit: TO, extra: ['-e', 'mode=0700'] });
    const result = cycle.real.events.find((e) => e.type === 'task.result' && e.task === 'binary');
    assert.deepEqual(result?.changes, [{ what: 'mode', before: '0755', after: '0700' }]);
    const cmds = await engine(['run', PB, '-i', inventory, '--limit', TO, '--json', '-v', '-e', 'mode=0750']);
    assert.equal(cmds.code, 0, cmds.stdout + cmds.stderr);
    assert.ok(!cmds.events.some((e) => e.type === 'command' && String(e.command).includes('dd if=')), 'no chunk was read from node7');
  });

  test('a source that does not exist on node7: the task fails with a clear message, dry run too', async () => {
    for (const check of [['--check'], []]) {
      const r = await engine(['run', PB, '-i', inventory, '--limit', TO, '--json', '-e', 'src=/root/missing.bin', '-e', 'dest=/root/missing.bin', ...check]);
      assert.notEqual(r.code, 0);
      const failed = r.events.find((e) => e.type === 'task.result' && e.status === 'failed');
      assert.equal(failed?.msg, '/root/missing.bin does not exist on node7, and no earlier task creates it');
    }
    assert.equal((await sshRun(TO, 'ls /root/missing.bin 2>&1', { user: 'root' })).code, 2);
  });

  test('the same path on both hosts: one key, two hosts, compared correctly', async () => {
    const cycle = await applyCycle(PB, { limit: TO, extra: ['-e', 'dest=/root/big.bin', '-e', 'mode=0640'] });
    assert.deepEqual(cycle.changed, [`${TO} binary`]);
    assert.equal(await sha(TO, '/root/big.bin'), srcSha);
  });

  test('fetch: node7 -> controller, converged, same sha256; a corrupted local copy is replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipshape-fetch-'));
    // On node7 the transfer play copies the file onto itself: already converged.
    const extra = ['-e', `fetchDest=${dir}`, '-e', 'dest=/root/big.bin', '-e', 'mode=0640'];
    const cycle = await applyCycle(PB, { limit: FROM, extra });
    assert.deepEqual(cycle.changed, [`${FROM} fetch back`]);
    const local = join(dir, `${FROM}.bin`);
    assert.equal(await localSha(local), srcSha);
    assert.equal((statSync(local).mode & 0o7777).toString(8), '640', 'the mode of the source');
    assert.deepEqual(readdirSync(dir), [`${FROM}.bin`], 'no temp file left');

    writeFileSync(local, 'corrupted');
    const again = await applyCycle(PB, { limit: FROM, extra });
    assert.deepEqual(again.changed, [`${FROM} fetch back`]);
    assert.equal(await localSha(local), srcSha);
    assert.deepEqual(pairs(again.again, 'changed'), []);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a source an earlier play makes in the same run: the dry run plans the transfer, checksum known once built', async () => {
    const PB2 = 'test/fixtures/playbooks/modules/transfer-built.ts';
    const url = `${APT_REPO_URL}Packages`;
    assert.equal((await sshRun(FROM, 'test -e /root/built.bin', { user: 'root' })).code, 1, 'nothing built yet');
    const cycle = await applyCycle(PB2, { limit: `${FROM},${TO}`, extra: ['-e', `url=${url}`] });
    assert.deepEqual(cycle.changed, [`${FROM} artifact`, `${TO} shipped`]);
    const planned = cycle.dry.events.find((e) => e.type === 'task.result' && e.task === 'shipped');
    assert.deepEqual(planned?.changes?.[0], { what: 'content', before: '(absent)', after: '(checksum known once /root/built.bin is built on node7)' });
    assert.equal(await sha(TO, '/usr/local/bin/built.bin'), await sha(FROM, '/root/built.bin'));
  });
});
