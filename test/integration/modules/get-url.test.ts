// getUrl on a real Debian 12 host (node5), from the lab's HTTP server (10.77.0.1:8080): a 3 MiB file
// streamed through the controller to a host that has neither curl nor wget (the full cycle proof);
// a wrong sha256 fails the task and leaves the old file (and no temp file); a new sha256 replaces it;
// via host on a host without curl or wget is a clear error.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { APT_REPO_URL, labPaths, sshRun } from '../../lab/index.ts';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';

const HOST = 'node5';
const PLAYBOOK = 'test/fixtures/playbooks/modules/get-url.ts';
const DIR = 'shipshape-geturl';
const DEST = '/srv/geturl/payload.bin';

/** Serves bytes from the lab's HTTP server (it serves $LAB_DIR/apt) and returns the URL and sha256. */
function serve(name: string, bytes: Buffer): { url: string; sum: string } {
  mkdirSync(join(labPaths.aptDir, DIR), { recursive: true });
  writeFileSync(join(labPaths.aptDir, DIR, name), bytes);
  return { url: `${APT_REPO_URL}${DIR}/${name}`, sum: createHash('sha256').update(bytes).digest('hex') };
}

const onHost = async (cmd: string) => (await sshRun(HOST, cmd, { user: 'root' })).stdout.trim();
const hostSum = () => onHost(`sha256sum ${DEST} | cut -d' ' -f1`);
const run = (args: string[]) => engine(['run', PLAYBOOK, '-i', labPaths.inventory, '--limit', HOST, '--json', ...args]);

describe('getUrl module on a lab host', { timeout: 600_000 }, () => {
  let v1: { url: string; sum: string };
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
    v1 = serve('payload-v1.bin', randomBytes(3 * 1024 * 1024));
  });

  it('downloads through the controller to a host without curl or wget: predicted, then a no-op', async () => {
    assert.equal(await onHost('command -v curl wget || echo none'), 'none', 'the host has neither curl nor wget');
    const cycle = await applyCycle(PLAYBOOK, { limit: HOST, extra: ['-e', `url=${v1.url}`, '-e', `sha256=${v1.sum}`] });
    assert.deepEqual(cycle.changed, [`${HOST} download`, `${HOST} folder`]);
    assert.equal(await hostSum(), v1.sum);
    assert.equal(await onHost(`stat -c '%a %U %G %s' ${DEST}`), `640 root adm ${3 * 1024 * 1024}`);
    const dl = cycle.real.events.find((e) => e.type === 'task.result' && e.task === 'download');
    assert.deepEqual(dl?.changes?.[0], { what: 'content', before: '(absent)', after: `sha256:${v1.sum}` });
  });

  it('a wrong sha256 fails the task and leaves the old file; the right one replaces it', async () => {
    const v2 = serve('payload-v2.bin', randomBytes(100_000));
    const wrong = await run(['-e', `url=${v2.url}`, '-e', `sha256=${'0'.repeat(64)}`]);
    assert.notEqual(wrong.code, 0);
    const failed = wrong.events.find((e) => e.type === 'task.result' && e.task === 'download');
    assert.equal(failed?.status, 'failed');
    assert.match(failed?.msg ?? '', /sha256 mismatch/);
    assert.equal(await hostSum(), v1.sum, 'the old file is untouched');
    assert.equal(await onHost('ls -A /srv/geturl'), 'payload.bin', 'no temp file is left behind');

    const cycle = await applyCycle(PLAYBOOK, { limit: HOST, extra: ['-e', `url=${v2.url}`, '-e', `sha256=${v2.sum}`] });
    assert.deepEqual(cycle.changed, [`${HOST} download`]);
    assert.equal(await hostSum(), v2.sum);
    assert.equal(await onHost(`stat -c '%a %U %G' ${DEST}`), '640 root adm');
  });

  it('a URL that answers 404 fails clearly and changes nothing', async () => {
    const before = await hostSum();
    const r = await run(['-e', `url=${APT_REPO_URL}${DIR}/nosuch.bin`, '-e', `sha256=${'1'.repeat(64)}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.events.find((e) => e.type === 'task.result' && e.task === 'download')?.msg ?? '', /HTTP 404/);
    assert.equal(await hostSum(), before);
  });

  it('via host on a host with neither curl nor wget is a plan error', async () => {
    const r = await run(['-e', `url=${v1.url}`, '-e', `sha256=${v1.sum}`, '-e', 'via=host']);
    assert.notEqual(r.code, 0);
    const failed = r.events.find((e) => e.type === 'task.result' && e.task === 'download');
    assert.equal(failed?.status, 'failed');
    assert.match(failed?.msg ?? '', /needs curl or wget/);
    assert.deepEqual(pairs(r, 'changed'), []);
  });
});
