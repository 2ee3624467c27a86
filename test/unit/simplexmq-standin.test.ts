// The lab's stand-in release binaries (test/fixtures/releases/simplexmq/standin.sh), run here on the
// controller with their config and state folders moved by the environment variables the real
// servers read (SMP_SERVER_CFG_PATH, ...): they keep the contract relay.ts relies on. init refuses
// without --yes and when the ini exists, clears the folders when it runs, writes the CA, the online
// certificate signed by it and the fingerprint of the CA's DER; start serves TLS on the ini's ports
// with that chain, checks the stored fingerprint, stops cleanly on SIGINT; cert keeps the identity;
// -v says what it is. Also: the release texts carry the assets' sha256 lines. Needs openssl.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { LAB_RELEASES, publishReleases, RELEASE_PLATFORMS, RELEASE_SERVERS, standinAsset } from '../lab/services/releases.ts';
import { FINGERPRINT } from '../../playbooks/relay-address.ts';

let tmp = '';
const bin = (name: string) => join(tmp, 'bin', name);
const cfg = (server: string) => join(tmp, server, 'etc');
const state = (server: string) => join(tmp, server, 'var');
const envOf = (server: string) =>
  server === 'smp-server'
    ? { SMP_SERVER_CFG_PATH: cfg(server), SMP_SERVER_LOG_PATH: state(server) }
    : { XFTP_SERVER_CFG_PATH: cfg(server), XFTP_SERVER_LOG_PATH: state(server) };

function sh(server: string, args: string[], input = '', file = server) {
  const r = spawnSync(bin(file), args, { encoding: 'utf8', input, env: { ...process.env, ...envOf(server) } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const fp = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise((ok) => srv.close(ok));
  return port;
}

/** The chain presented on 127.0.0.1:port (DER, leaf first), retried while the server starts. */
async function chainOn(port: number): Promise<Buffer[]> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<Buffer[]>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          const chain: Buffer[] = [];
          let c = s.getPeerCertificate(true);
          while (c?.raw && !chain.some((x) => x.equals(c.raw))) (chain.push(c.raw), (c = c.issuerCertificate));
          s.end();
          resolve(chain);
        });
        s.once('error', reject);
      });
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'standin-'));
  mkdirSync(join(tmp, 'bin'));
  for (const server of RELEASE_SERVERS) {
    for (const release of LAB_RELEASES) {
      const path = bin(`${server}-${release.tag}`);
      writeFileSync(path, standinAsset(server, release));
      chmodSync(path, 0o755);
    }
    writeFileSync(bin(server), readFileSync(bin(`${server}-v6.4.5`)));
    chmodSync(bin(server), 0o755);
    mkdirSync(cfg(server), { recursive: true });
    mkdirSync(state(server), { recursive: true });
  }
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('the stand-in smp-server and xftp-server', () => {
  it('-v prints the version line as the real servers do, and says it is a stand-in', () => {
    assert.match(sh('smp-server', ['-v']).out, /^SMP server v6\.4\.5\.1 \/ standin \(shipshape lab stand-in: .*not SimpleX's server\)\n$/);
    assert.match(sh('xftp-server', ['-v']).out, /^SimpleX XFTP server v6\.4\.5\.1 /);
  });

  it('smp-server init: refuses without --yes; then CA, online certificate, fingerprint and ini; refuses a second time', () => {
    writeFileSync(join(cfg('smp-server'), 'leftover'), 'x');
    writeFileSync(join(state('smp-server'), 'old-store.log'), 'x');
    assert.equal(sh('smp-server', ['init', '--fqdn', 'smp.example.test']).code, 1, 'no --yes: the real one would ask on the terminal');
    assert.ok(existsSync(join(cfg('smp-server'), 'leftover')), 'a refused init changes nothing');
    const init = sh('smp-server', ['init', '--yes', '--fqdn', 'smp.example.test', '--no-password', '--disable-web']);
    assert.equal(init.code, 0, init.out);
    assert.ok(!existsSync(join(cfg('smp-server'), 'leftover')) && !existsSync(join(state('smp-server'), 'old-store.log')), 'init clears both folders');
    const ca = readFileSync(join(cfg('smp-server'), 'ca.crt'), 'utf8');
    const fingerprint = readFileSync(join(cfg('smp-server'), 'fingerprint'), 'utf8');
    assert.equal(fingerprint, `${fp(ca)}\n`, 'the fingerprint file is the base64url SHA-256 of the CA DER');
    assert.match(fingerprint.trim(), FINGERPRINT);
    const leaf = new X509Certificate(readFileSync(join(cfg('smp-server'), 'server.crt')));
    assert.equal(leaf.subject, 'CN=smp.example.test');
    assert.ok(leaf.checkIssued(new X509Certificate(ca)) && leaf.verify(new X509Certificate(ca).publicKey));
    assert.equal((statSync(join(cfg('smp-server'), 'ca.key')).mode & 0o777).toString(8), '600');
    const ini = readFileSync(join(cfg('smp-server'), 'smp-server.ini'), 'utf8');
    assert.match(ini, /^host = smp\.example\.test$/m);
    assert.match(ini, /^port = 5223,443$/m, "upstream's default ports");
    assert.match(ini, /^# create_password/m, '--no-password');
    assert.match(ini, /^# https = 443$/m, '--disable-web');
    assert.match(init.out, new RegExp(`Server address: smp://${fp(ca).replace(/[+]/g, '\\+')}@smp\\.example\\.test\\n`));

    const again = sh('smp-server', ['init', '--yes', '--fqdn', 'other.example.test', '--no-password']);
    assert.equal(again.code, 1);
    assert.match(again.out, /Error: server is already initialized \(.*smp-server\.ini exists\)/);
    assert.equal(readFileSync(join(cfg('smp-server'), 'fingerprint'), 'utf8'), fingerprint, 'the identity is kept');
  });

  it('smp-server start: TLS on the ini port with the online certificate and the CA of the fingerprint; SIGINT stops it cleanly', async () => {
    const ini = join(cfg('smp-server'), 'smp-server.ini');
    const port = await freePort();
    writeFileSync(ini, readFileSync(ini, 'utf8').replace(/^port = .*$/m, `port = ${port}`));
    const child = spawn(bin('smp-server'), ['start', '+RTS', '-N', '-RTS'], { env: { ...process.env, ...envOf('smp-server') }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const chain = await chainOn(port);
      assert.equal(chain.length, 2, 'the online certificate and the CA');
      assert.equal(`${createHash('sha256').update(chain[1]!).digest('base64').replace(/\+/g, '-').replace(/\//g, '_')}\n`, readFileSync(join(cfg('smp-server'), 'fingerprint'), 'utf8'));
      assert.ok(existsSync(join(state('smp-server'), 'smp-server-store.log')), 'the store log is on by default');
    } finally {
      const code = await new Promise((ok) => (child.once('exit', (c) => ok(c)), child.kill('SIGINT')));
      assert.equal(code, 0, 'SIGINT (the units\' KillSignal) is a clean stop');
    }
  });

  it('smp-server start refuses a fingerprint that is not its CA, and a web port without its certificate', () => {
    const file = join(cfg('smp-server'), 'fingerprint');
    const good = readFileSync(file);
    writeFileSync(file, 'AAAA\n');
    const bad = sh('smp-server', ['start']);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /Stored fingerprint is invalid\./);
    writeFileSync(file, good);
    const ini = join(cfg('smp-server'), 'smp-server.ini');
    const text = readFileSync(ini, 'utf8');
    writeFileSync(ini, text.replace(/^# https = 443$/m, 'https = 443').replace(/^# cert = /m, 'cert = ').replace(/^# key = /m, 'key = '));
    const web = sh('smp-server', ['start']);
    assert.equal(web.code, 1, 'the default [WEB] https without web.crt cannot start');
    assert.match(web.out, /web TLS credentials .*web\.crt cannot be read/);
    writeFileSync(ini, text);
  });

  it('smp-server cert: a new online certificate for a new name, the same CA and fingerprint', () => {
    const before = readFileSync(join(cfg('smp-server'), 'fingerprint'), 'utf8');
    const r = sh('smp-server', ['cert', '--cn', 'renamed.example.test']);
    assert.equal(r.code, 0, r.out);
    assert.equal(new X509Certificate(readFileSync(join(cfg('smp-server'), 'server.crt'))).subject, 'CN=renamed.example.test');
    assert.equal(readFileSync(join(cfg('smp-server'), 'fingerprint'), 'utf8'), before);
  });

  it('smp-server init: a random password by default, or the one given', () => {
    rmSync(join(cfg('smp-server'), 'smp-server.ini'));
    assert.equal(sh('smp-server', ['init', '--yes', '--disable-web']).code, 0);
    assert.match(readFileSync(join(cfg('smp-server'), 'smp-server.ini'), 'utf8'), /^create_password = [A-Za-z0-9_=-]{40,}$/m);
    rmSync(join(cfg('smp-server'), 'smp-server.ini'));
    assert.equal(sh('smp-server', ['init', '--yes', '--password', 'a:b']).code, 1, "':' is not allowed in a password");
    assert.equal(sh('smp-server', ['init', '--yes', '--password', 'p4ss']).code, 0);
    assert.match(readFileSync(join(cfg('smp-server'), 'smp-server.ini'), 'utf8'), /^create_password = p4ss$/m);
  });

  it('xftp-server init needs -p and -q, takes no password, listens on 443 by default', () => {
    const missing = sh('xftp-server', ['init', '--fqdn', 'xftp.example.test']);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /Missing: \(-p\|--path PATH\) \(-q\|--quota QUOTA\)/);
    assert.equal(sh('xftp-server', ['init', '--fqdn', 'xftp.example.test', '-p', join(tmp, 'files'), '-q', '10gb', '--password', 'x']).code, 1, 'no --password');
    const init = sh('xftp-server', ['init', '--fqdn', 'xftp.example.test', '-p', join(tmp, 'files'), '-q', '10gb']);
    assert.equal(init.code, 0, init.out);
    const ini = readFileSync(join(cfg('xftp-server'), 'file-server.ini'), 'utf8');
    assert.match(ini, /^port = 443$/m);
    assert.match(ini, /^storage_quota = 10gb$/m);
    assert.doesNotMatch(ini, /^create_password/m);
    assert.equal(new X509Certificate(readFileSync(join(cfg('xftp-server'), 'ca.crt'))).publicKey.asymmetricKeyType, 'ed448', "xftp-server's default algorithm");
  });

  it('a release that cannot start exits at start, after the same checks', () => {
    const r = sh('xftp-server', ['start'], '', 'xftp-server-v9.9.9-cannot-start');
    assert.equal(r.code, 1);
    assert.match(r.out, /cannot start/);
  });
});

describe('the stand-in release texts', () => {
  it('carry a SHA2-256(ASSET)= line for every asset, as the real release texts do', () => {
    const dir = join(tmp, 'published');
    assert.deepEqual(publishReleases(dir), LAB_RELEASES.map((r) => r.tag));
    for (const release of LAB_RELEASES) {
      const text = readFileSync(join(dir, 'tag', release.tag), 'utf8');
      for (const server of RELEASE_SERVERS) {
        for (const platform of RELEASE_PLATFORMS) {
          const asset = join(dir, 'download', release.tag, `${server}-${platform}`);
          const sum = createHash('sha256').update(readFileSync(asset)).digest('hex');
          assert.ok(text.includes(`SHA2-256(${server}-${platform})= ${sum}\n`), `${release.tag} ${server}-${platform}`);
          assert.equal(statSync(asset).mode & 0o777, 0o755);
        }
      }
    }
  });
});
