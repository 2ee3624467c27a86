// Issue 12, the cache half of "reused": on a fresh pkg2 whose apt cache holds the .debs a package
// needs (`apt-get install --download-only`), the dry run's preview reads verified copies of them
// instead of downloading, says so (a detail message: -v, the log), leaves the cache byte for byte
// as it was and nothing else behind. A cached .deb whose content is wrong (same name, same size) is
// never used: the preview downloads the package instead.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engine, type CliResult } from './engine-cli.ts';
import { ensureLab, freshHosts } from './lab-fixture.ts';
import { sshRun } from '../lab/index.ts';
import { packageState } from './package-state.ts';

const PB = 'test/fixtures/playbooks/apt-cached.ts';
const HOST = 'pkg2';
const ARCHIVES = '/var/cache/apt/archives';
let inventory: string;

/** apt's cache: every entry's name, size and mtime, and each .deb's sha256. */
async function cacheState(): Promise<string> {
  return (await sshRun(HOST, `find ${ARCHIVES} -printf '%p %s %T@ %m %u\\n' | sort; sha256sum ${ARCHIVES}/*.deb`, { user: 'root', check: true })).stdout;
}

const dryRun = () => engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-v', '--check']);
const fromCache = (r: CliResult): string[] =>
  r.events.filter((e) => e.type === 'message' && e.detail === true && /read from apt's cache/.test(e.text)).map((e) => e.text as string);

describe("dry run: the package preview reuses verified .debs from apt's cache", { timeout: 600_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
    await freshHosts(HOST);
    await sshRun(HOST, 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install --download-only -y -qq cowsay >/dev/null', { user: 'root', check: true, timeoutMs: 300_000 });
  });

  test('cached .debs: read from the cache, said so, the cache unchanged, nothing left behind', async () => {
    const cache = await cacheState();
    assert.match(cache, /cowsay_[^ ]*_all\.deb/, 'the preparation put cowsay in the cache');
    const untouched = await packageState(HOST);
    const dry = await dryRun();
    assert.equal(dry.code, 0, dry.stdout.slice(-3000) + dry.stderr);
    const said = fromCache(dry);
    assert.equal(said.length, 1, `one detail message: ${JSON.stringify(dry.events.filter((e) => e.type === 'message'))}`);
    assert.match(said[0]!, /cowsay=\S+/);
    assert.match(said[0]!, /libtext-charwidth-perl=\S+/);
    assert.equal(dry.events.find((e) => e.type === 'task.result')?.status, 'changed');
    assert.equal(await cacheState(), cache, 'the cache: same names, sizes, mtimes, modes, owners, contents');
    assert.equal(await packageState(HOST), untouched, 'dpkg, apt, users: as they were; no scratch folder, no .deb elsewhere');

    const plain = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '--check']);
    assert.deepEqual(fromCache(plain), [], 'without -v the detail is not printed');
  });

  test('a cached .deb with the wrong content (same name and size) is not used: the package is downloaded instead', async () => {
    const deb = (await sshRun(HOST, `ls ${ARCHIVES}/cowsay_*_all.deb`, { user: 'root', check: true })).stdout.trim();
    await sshRun(HOST, `printf 'XXXXXXXX' | dd of=${deb} bs=1 seek=2000 conv=notrunc status=none`, { user: 'root', check: true });
    const cache = await cacheState();
    const untouched = await packageState(HOST);
    const dry = await dryRun();
    assert.equal(dry.code, 0, dry.stdout.slice(-3000) + dry.stderr);
    const said = fromCache(dry);
    assert.equal(said.length, 1, 'libtext-charwidth-perl still came from the cache');
    assert.doesNotMatch(said[0]!, /cowsay=/, 'the corrupted cowsay .deb was not trusted');
    const result = dry.events.find((e) => e.type === 'task.result');
    assert.equal(result?.status, 'changed', JSON.stringify(result));
    assert.deepEqual(dry.events.filter((e) => e.type === 'message' && !e.detail), [], 'the preview did not fail: cowsay was downloaded and read');
    assert.equal(await cacheState(), cache, 'the corrupted file is left as it was (the cache is never written)');
    assert.equal(await packageState(HOST), untouched, 'nothing left behind');
  });
});
