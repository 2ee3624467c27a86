// The pure parts of the dry run's package preview: dpkg-deb's listing and conffiles, the preview
// script's output, and the overlay that turns them into the facts later tasks plan on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modeOf, parseConffiles, parseDebListing } from '../../engine/packages/deb-listing.ts';
import { overlay } from '../../engine/packages/overlay.ts';
import { FROM_CACHE, parsePreview, READER, type PreviewedPackage } from '../../engine/packages/preview.ts';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFact } from '../../engine/facts/apt.ts';
import { ABSENT_FILE, fileFact, type FileFact } from '../../engine/facts/file.ts';
import { FactStore } from '../../engine/facts/store.ts';
import { unitFact, type UnitFact } from '../../engine/facts/unit.ts';

const LISTING = [
  'drwxr-xr-x root/root         0 2024-05-30 10:00 ./',
  'drwxr-xr-x root/root         0 2024-05-30 10:00 ./etc/nginx/',
  'drwxr-xr-x root/root         0 2024-05-30 10:00 ./etc/nginx/sites-enabled/',
  '-rw-r--r-- root/root      1447 2024-05-30 10:00 ./etc/nginx/nginx.conf',
  '-rwsr-xr-x root/root     12345 2024-05-30 10:00 ./usr/bin/su do',
  'lrwxrwxrwx root/root         0 2024-05-30 10:00 ./etc/nginx/modules-enabled/50-mod.conf -> /usr/share/nginx/modules-available/mod.conf',
  'hrw-r--r-- root/root         0 2024-05-30 10:00 ./usr/bin/b link to ./usr/bin/a',
  '-rw-r--r-- root/root         3 2024-05-30 10:00 ./../../etc/shadow',
  'garbage line',
].join('\n');

describe('package preview: parsing', () => {
  it('dpkg-deb -c: paths made absolute, modes with special bits, links, hard links; names climbing out dropped', () => {
    const entries = parseDebListing(LISTING);
    assert.deepEqual(entries.map((e) => `${e.type} ${e.path} ${e.mode}${e.linkTarget ? ` ${e.linkTarget}` : ''}`), [
      'directory / 0755',
      'directory /etc/nginx 0755',
      'directory /etc/nginx/sites-enabled 0755',
      'file /etc/nginx/nginx.conf 0644',
      'file /usr/bin/su do 4755',
      'link /etc/nginx/modules-enabled/50-mod.conf 0777 /usr/share/nginx/modules-available/mod.conf',
      'hardlink /usr/bin/b 0644 /usr/bin/a',
    ]);
    assert.equal(entries[3]!.size, 1447);
    assert.equal(modeOf('rwxr-sr-t'), '3755');
    assert.equal(modeOf('rw-r--r-T'), '1644');
  });

  it('conffiles: absolute paths only (remove-on-upgrade lines are not installed)', () => {
    assert.deepEqual(parseConffiles('/etc/nginx/nginx.conf\nremove-on-upgrade /etc/old\n\n/etc/default/nginx\n'), ['/etc/nginx/nginx.conf', '/etc/default/nginx']);
  });

  it('the preview script output: simulated upgrades marked, scripts and contents decoded, too-large content null', () => {
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    const out = [
      'status=previewed',
      '== simulated',
      'Inst nginx-common (1.22.1-9 Debian:12.8/stable [all])',
      'Inst hello [2.10-2] (2.10-3 Debian:12.8/stable [amd64])',
      '== deb',
      'Package: nginx-common',
      'Version: 1.22.1-9',
      '-- list',
      LISTING,
      '-- conffiles',
      '/etc/nginx/nginx.conf',
      '-- script postinst',
      b64('#!/bin/sh\nln -s /etc/nginx/sites-available/default /etc/nginx/sites-enabled/default\n'),
      '-- content /etc/nginx/nginx.conf',
      b64('user www-data;\n'),
      '-- content /usr/bin/su do',
      Buffer.from([0x7f, 0x45, 0x00]).toString('base64'),
      '== deb',
      'Package: hello',
      'Version: 2.10-3',
      '-- list',
      '-- conffiles',
      '',
    ].join('\n');
    const preview = parsePreview(out);
    assert.equal(preview.status, 'previewed');
    const [nginx, hello] = preview.packages;
    assert.equal(nginx!.name, 'nginx-common');
    assert.equal(nginx!.action, 'install');
    assert.deepEqual(nginx!.conffiles, ['/etc/nginx/nginx.conf']);
    assert.match(nginx!.scripts.postinst!, /sites-enabled\/default/);
    assert.deepEqual(nginx!.contents, { '/etc/nginx/nginx.conf': 'user www-data;\n', '/usr/bin/su do': null });
    assert.deepEqual([hello!.action, hello!.before], ['upgrade', '2.10-2']);
  });

  it('the reader on a real .deb with hostile names: listed escaped, contents only of asked paths, nothing run or unpacked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-deb-'));
    try {
      const root = join(dir, 'pkg');
      const evil = '$(touch ss-pwned)';
      const pwned = join(dir, 'out/ss-pwned');
      mkdirSync(join(root, 'DEBIAN'), { recursive: true });
      mkdirSync(join(root, 'etc/demo/conf.d'), { recursive: true });
      writeFileSync(join(root, 'DEBIAN/control'), 'Package: demo\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: d\n');
      writeFileSync(join(root, 'DEBIAN/conffiles'), '/etc/demo/demo.conf\n');
      writeFileSync(join(root, 'DEBIAN/postinst'), '#!/bin/sh\nln -s x /etc/demo/conf.d/default\n', { mode: 0o755 });
      writeFileSync(join(root, 'etc/demo/demo.conf'), 'a=1\n');
      writeFileSync(join(root, `etc/demo/${evil}`), 'x\n');
      symlinkSync('/etc/shadow', join(root, 'etc/demo/link'));
      mkdirSync(join(dir, 'out'));
      execFileSync('dpkg-deb', ['--root-owner-group', '-b', root, join(dir, 'out/demo_1.0_all.deb')], { stdio: 'ignore' });
      const out = execFileSync('sh', ['-c', READER, 'sh', join(dir, 'out'), '/etc/demo/demo.conf', `/etc/demo/${evil}`, '/etc/demo/link']).toString();
      const [pkg] = parsePreview(`status=previewed\n${out}`).packages;
      assert.equal(existsSync(pwned), false, 'no name reached a shell');
      assert.deepEqual(pkg!.conffiles, ['/etc/demo/demo.conf']);
      assert.deepEqual(pkg!.contents, { '/etc/demo/demo.conf': 'a=1\n', [`/etc/demo/${evil}`]: 'x\n' }, 'a link has no content');
      assert.equal(pkg!.files.find((f) => f.path === '/etc/demo/link')?.linkTarget, '/etc/shadow');
      assert.deepEqual(Object.keys(pkg!.scripts), ['postinst']);
      assert.equal(existsSync(join(dir, 'out/etc')), false, 'nothing unpacked');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("apt's cache: a .deb is reused only as a copy whose size and sha256 are the ones apt prints; the cache is only read", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-cache-'));
    try {
      const cache = join(dir, 'cache');
      const out = join(dir, 'debs');
      mkdirSync(cache);
      mkdirSync(out);
      const good = Buffer.from('a good deb\n');
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      writeFileSync(join(cache, 'good_1_all.deb'), good);
      writeFileSync(join(cache, 'corrupt_1_all.deb'), Buffer.from('a bad  deb\n'), { flag: 'w' });
      writeFileSync(join(cache, 'short_1_all.deb'), good.subarray(0, 5));
      writeFileSync(join(dir, 'secret.deb'), good);
      symlinkSync(join(dir, 'secret.deb'), join(cache, 'link_1_all.deb'));
      const pwned = join(dir, 'pwned');
      const before = readdirSync(cache).map((f) => `${f} ${statSync(join(cache, f)).mtimeMs}`);
      const line = (a: string, f: string, b: Buffer, hash = `SHA256:${sha(b)}`) => `${a} ${f} ${b.length} ${hash}`;
      const input = [
        line('good=1', 'good_1_all.deb', good),
        line('corrupt=1', 'corrupt_1_all.deb', good),
        line('short=1', 'short_1_all.deb', good),
        line('link=1', 'link_1_all.deb', good),
        line('md5=1', 'good_1_all.deb', good, 'MD5Sum:0123456789abcdef0123456789abcdef'),
        line('climb=1', '../secret.deb', good),
        line('evil=1', `$(touch${'${IFS}'}${pwned}).deb`, good),
        'absent=1 - 0 -',
        'missing=1 missing_1_all.deb 3 SHA256:' + sha(Buffer.from('abc')),
      ].join('\n') + '\n';
      const printed = execFileSync('sh', ['-c', FROM_CACHE, 'sh', cache, out], { input }).toString();
      assert.deepEqual(printed.trim().split('\n'), ['cached good=1', 'fetch corrupt=1', 'fetch short=1', 'fetch link=1', 'fetch md5=1', 'fetch climb=1', 'fetch evil=1', 'fetch absent=1', 'fetch missing=1']);
      assert.deepEqual(readdirSync(out), ['good_1_all.deb'], 'only the verified copy is left in the downloads folder');
      assert.equal(sha(execFileSync('cat', [join(out, 'good_1_all.deb')])), sha(good));
      assert.deepEqual(readdirSync(cache).map((f) => `${f} ${statSync(join(cache, f)).mtimeMs}`), before, 'the cache is as it was');
      assert.equal(existsSync(pwned), false, 'no name reached a shell');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the preview says which packages came from the cache', () => {
    const deb = (name: string) => ['== deb', `Package: ${name}`, 'Version: 1.0', '-- list', '-- conffiles'];
    const preview = parsePreview(['status=previewed', '== simulated', 'Inst a (1.0 d [all])', 'Inst b (1.0 d [all])', '== skipped', '== cached', 'a=1.0', ...deb('a'), ...deb('b'), ''].join('\n'));
    assert.deepEqual(preview.packages.map((p) => [p.name, p.fromCache]), [['a', true], ['b', false]]);
  });

  it('a failure anywhere is a failed preview with the reason, and no packages', () => {
    assert.deepEqual(parsePreview("status=failed\nerror=apt-get -s install failed: E: Unable to locate package nope\n"), { status: 'failed', error: 'apt-get -s install failed: E: Unable to locate package nope', packages: [] });
    const late = parsePreview('status=previewed\n== simulated\nInst x (1 d [all])\n== end\nstatus=failed\nerror=apt-get download failed: Err:1 x\n');
    assert.equal(late.status, 'failed');
    assert.match(late.error!, /download failed/);
  });
});

function pkg(over: Partial<PreviewedPackage> = {}): PreviewedPackage {
  return {
    name: 'nginx-common', version: '1.22.1-9', action: 'install', before: null,
    files: parseDebListing(LISTING + '\n-rw-r--r-- root/root       300 2024-05-30 10:00 ./lib/systemd/system/nginx.service'),
    conffiles: ['/etc/nginx/nginx.conf'],
    scripts: { postinst: 'if [ ! -e /etc/nginx/sites-enabled/default ]; then ln -s ../sites-available/default /etc/nginx/sites-enabled/default; fi\ndeb-systemd-invoke start nginx.service\n' },
    contents: { '/etc/nginx/nginx.conf': 'user www-data;\n', '/lib/systemd/system/nginx.service': '[Unit]\n[Service]\n[Install]\nWantedBy=multi-user.target\n' },
    fromCache: false,
    ...over,
  };
}
const absent = { ...ABSENT_FILE };

describe('package preview: the overlay later tasks plan on', () => {
  it('a packaged file absent on the host: predicted from the package, content and checksum included, certain', () => {
    const got = overlay([pkg()], fileFact('/etc/nginx/nginx.conf').key, absent);
    const value = got?.value as FileFact;
    assert.equal(got?.doubt, undefined);
    assert.deepEqual([value.exists, value.type, value.mode, value.owner, value.content, value.size], [true, 'file', '0644', 'root', 'user www-data;\n', 15]);
    assert.match(value.sha256 ?? '', /^[0-9a-f]{64}$/);
  });

  it('a conffile already on the host is kept (--force-confold); a packaged file whose content was not read is doubted', () => {
    const there: FileFact = { ...absent, exists: true, type: 'file', mode: '0600', owner: 'root', group: 'root', size: 1, sha256: 'x', content: 'mine' };
    assert.equal(overlay([pkg()], fileFact('/etc/nginx/nginx.conf').key, there), undefined);
    assert.match(overlay([pkg()], fileFact('/usr/bin/su do').key, absent)?.doubt ?? '', /not read by the dry run.*not text, or too large|not read by the dry run/);
  });

  it('a link the package ships; a path its scripts name, or in a folder it ships, is doubted naming the package; elsewhere nothing', () => {
    const link = overlay([pkg()], fileFact('/etc/nginx/modules-enabled/50-mod.conf').key, absent)?.value as FileFact;
    assert.deepEqual([link.type, link.linkTarget], ['link', '/usr/share/nginx/modules-available/mod.conf']);
    const made = overlay([pkg()], fileFact('/etc/nginx/sites-enabled/default').key, absent);
    assert.deepEqual(made?.value, absent, 'the host as it is now, but doubted');
    assert.match(made?.doubt ?? '', /nginx-common.*postinst/);
    assert.match(overlay([pkg({ scripts: { postinst: 'mkdir -p /etc/nginx/sites-enabled\n' } })], fileFact('/etc/nginx/sites-enabled/other').key, absent)?.doubt ?? '', /postinst works in \/etc\/nginx\/sites-enabled/);
    assert.equal(overlay([pkg()], fileFact('/etc/nginx/conf.d/mine.conf').key, absent), undefined, 'a folder the scripts never name: a new file there is certain');
    assert.equal(overlay([pkg()], fileFact('/etc/motd').key, absent), undefined, 'a shared folder (/etc) is nobody\'s');
    assert.equal(overlay([pkg()], fileFact('/etc/systemd/system/nginx.service').key, absent), undefined, 'a bare file name in a script (deb-systemd-invoke start nginx.service) says nothing of a path');
    assert.equal(overlay([pkg({ scripts: { postinst: 'rm -f /usr/local/bin/x' } })], fileFact('/usr/local/bin').key, absent), undefined, 'a shared folder named in a script is not doubted');
    assert.equal(overlay([pkg({ scripts: {} })], fileFact('/etc/nginx/sites-enabled/default').key, absent), undefined, 'no maintainer scripts: nothing but what is shipped');
    assert.equal(overlay([], fileFact('/etc/nginx/nginx.conf').key, absent), undefined);
  });

  it('a unit the package ships: loaded once installed, its running state doubted (its scripts may start it)', () => {
    const notFound: UnitFact = { name: 'nginx.service', loadState: 'not-found', activeState: 'inactive', subState: 'dead', unitFileState: '', needDaemonReload: false, fragmentPath: null };
    const got = overlay([pkg()], unitFact('nginx.service').key, notFound);
    assert.deepEqual((got?.value as UnitFact).loadState, 'loaded');
    assert.deepEqual((got?.value as UnitFact).unitFileState, 'disabled');
    assert.match(got?.doubt ?? '', /nginx\.service comes with nginx-common/);
    assert.equal(overlay([pkg()], unitFact('other.service').key, notFound), undefined);
    assert.equal(overlay([pkg({ scripts: {} })], unitFact('nginx.service').key, notFound)?.doubt, undefined, 'no scripts: installed, not started');
  });

  it('a package pulled in as a dependency is predicted installed at the previewed version', () => {
    const observed = { name: 'nginx-common', installed: false, configFiles: false, version: null, candidate: null, stamp: 'x' };
    assert.deepEqual(overlay([pkg()], packageFact('nginx-common').key, observed)?.value, { ...observed, installed: true, version: '1.22.1-9', candidate: '1.22.1-9' });
    assert.equal(overlay([pkg()], packageFact('hello').key, { ...observed, name: 'hello' }), undefined);
  });

  it('the fact store keeps a doubt with a prediction until the key is read again or predicted for sure', () => {
    const store = new FactStore();
    store.predict('file:/x', absent, { doubt: 'why' });
    assert.equal(store.doubt('file:/x'), 'why');
    store.predict('file:/x', absent);
    assert.equal(store.doubt('file:/x'), undefined);
    store.predict('file:/x', absent, { doubt: 'why' });
    store.set('file:/x', absent);
    assert.equal(store.doubt('file:/x'), undefined);
    store.predict('file:/y', absent, { doubt: 'why' });
    store.invalidate(['*'], { keepPredicted: true });
    assert.equal(store.doubt('file:/y'), 'why', 'a dry run keeps its doubted predictions');
  });
});
