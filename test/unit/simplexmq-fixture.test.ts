// The fixture simplexmq repository (test/fixtures/repos/simplexmq): build.sh makes tags v1..v3
// with main at v2, reproducibly; v2 builds with the local cargo and answers the version probe with
// a fingerprint that survives a restart; v3 exits 1 at start. Needs cargo (no skipping: machines
// that run this suite have it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURE = resolve(fileURLToPath(import.meta.url), '../../fixtures/repos/simplexmq');
const FINGERPRINT = /^[A-Za-z0-9_-]{43}$/;

let tmp = '';
let repo = '';
let cargo = '';
const children: ChildProcess[] = [];

// build.sh must not depend on the caller's git identity or dates.
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_')) delete env[k];
  return env;
}

function findCargo(): string {
  for (const c of ['cargo', join(homedir(), '.cargo', 'bin', 'cargo')]) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  throw new Error('cargo not found (neither on PATH nor in ~/.cargo/bin): the simplexmq fixture test builds the fixture with cargo; install Rust (rustc + cargo)');
}

function buildRepo(dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('bash', [join(FIXTURE, 'build.sh')], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
}

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: cleanEnv() }).trim();

function cargoBuild(): void {
  const r = spawnSync(cargo, ['build', '--release', '--offline', '--locked'], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `cargo build failed:\n${r.stderr}`);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise((ok) => srv.close(ok));
  return port;
}

/** Send `payload`, return everything the server says before closing. */
function probe(port: number, payload: string): Promise<string> {
  return new Promise((ok, fail) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('probe timed out')));
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (d) => (data += d.toString()));
    sock.on('end', () => ok(data));
    sock.on('error', fail);
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((ok) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); ok(true); });
      s.on('error', () => ok(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after 10 s`);
}

function start(bin: string, args: string[]): ChildProcess {
  const child = spawn(join(repo, 'target', 'release', bin), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  await exited;
}

/** Run to completion: exit code and stderr. */
function runBin(bin: string, args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(join(repo, 'target', 'release', bin), args, { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stderr: r.stderr };
}

before(() => {
  cargo = findCargo();
  tmp = mkdtempSync(join(tmpdir(), 'simplexmq-fixture-'));
  repo = join(tmp, 'repo');
});

after(async () => {
  for (const c of children) await stop(c);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('build.sh makes v1, v2, v3 with main at v2, the same commits on every run', () => {
  buildRepo(repo);
  assert.deepEqual(git(repo, 'tag').split('\n'), ['v1', 'v2', 'v3']);
  assert.equal(git(repo, 'symbolic-ref', 'HEAD'), 'refs/heads/main');
  assert.equal(git(repo, 'rev-parse', 'main'), git(repo, 'rev-parse', 'v2^{commit}'));
  assert.equal(git(repo, 'status', '--porcelain'), '');
  assert.deepEqual(git(repo, 'branch', '--format=%(refname:short)').split('\n'), ['main']);
  for (const [tag, version] of [['v1', '1.0.0'], ['v2', '2.0.0'], ['v3', '3.0.0']]) {
    assert.match(git(repo, 'show', `${tag}:smp-server/Cargo.toml`), new RegExp(`^version = "${version.replace(/\./g, '\\.')}"$`, 'm'));
  }
  assert.match(git(repo, 'show', 'v3:common/src/release.rs'), /STARTUP_REGRESSION: bool = true;/);
  assert.match(git(repo, 'show', 'v2:common/src/release.rs'), /STARTUP_REGRESSION: bool = false;/);
  assert.equal(git(repo, 'rev-list', '--count', 'v3'), '3');
  assert.ok(!git(repo, 'ls-files').split('\n').includes('build.sh'));

  const again = join(tmp, 'again');
  buildRepo(again);
  for (const ref of ['v1', 'v2', 'v3', 'main']) assert.equal(git(again, 'rev-parse', ref), git(repo, 'rev-parse', ref), ref);
});

test('v2 builds offline with the committed Cargo.lock into smp-server and xfp-server', () => {
  cargoBuild();
  assert.equal(git(repo, 'status', '--porcelain'), '', 'the build changed tracked files (Cargo.lock?)');
  for (const bin of ['smp-server', 'xfp-server']) {
    assert.ok(existsSync(join(repo, 'target', 'release', bin)), bin);
    const v = spawnSync(join(repo, 'target', 'release', bin), ['--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.equal(v.stdout, `${bin} 2.0.0\n`);
  }
});

test('flags: unknown flag exits 2 with usage, missing log directory exits 1', () => {
  const unknown = runBin('smp-server', ['--fqdn', 'x', '--log', join(tmp, 'x.log'), '--frob', '1']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown flag --frob/);
  assert.match(unknown.stderr, /usage: smp-server --fqdn NAME --log PATH/);
  const missing = runBin('smp-server', ['--fqdn', 'x', '--log', join(tmp, 'no-such-dir', 'smp.log'), '--data', join(tmp, 'd0')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot open log file .*no-such-dir/);
  const quota = runBin('xfp-server', ['--fqdn', 'x', '--storage', join(tmp, 's0'), '--log', join(tmp, 'x.log'), '--quota', 'lots']);
  assert.equal(quota.code, 2);
  assert.equal(runBin('xfp-server', ['--fqdn', 'x', '--log', join(tmp, 'x.log'), '--quota', '2GB']).code, 2, '--storage is required');
});

test('smp-server answers the version probe; its fingerprint is stable across a restart', async () => {
  const data = join(tmp, 'smp-data');
  const logDir = join(tmp, 'smp-log');
  mkdirSync(logDir);
  const log = join(logDir, 'smp.log');
  const port = await freePort();
  const args = ['--fqdn', 'smp.example.test', '--log', log, '--data', data, '--port', String(port)];

  let server = start('smp-server', args);
  await waitForPort(port, server);
  const first = await probe(port, 'VERSION\n');
  const m = /^smp-server 2\.0\.0 (\S+)\n$/.exec(first);
  assert.ok(m, `probe answer ${JSON.stringify(first)}`);
  const fp = m[1];
  assert.match(fp, FINGERPRINT);
  assert.equal(readFileSync(join(data, 'fingerprint'), 'utf8'), `${fp}\n`);
  assert.equal(await probe(port, 'HELLO\n'), 'smp-server 2.0.0 ready: send VERSION\n');
  await stop(server);

  server = start('smp-server', args);
  await waitForPort(port, server);
  assert.equal(await probe(port, 'VERSION\n'), `smp-server 2.0.0 ${fp}\n`);
  await stop(server);

  const text = readFileSync(log, 'utf8');
  assert.match(text, new RegExp(`smp-server 2\\.0\\.0 starting: port ${port}`));
  assert.match(text, new RegExp(`listening on 0\\.0\\.0\\.0:${port}; server address: smp://${fp}@smp\\.example\\.test:${port}`));
  assert.match(text, /\(generated .*fingerprint\)/);
  assert.match(text, /\(loaded .*fingerprint\)/);
  assert.ok((text.match(/connection from 127\.0\.0\.1:\d+: version probe/g) ?? []).length >= 2);
});

test('xfp-server answers the version probe and keeps its fingerprint in the storage directory', async () => {
  const storage = join(tmp, 'xfp-storage');
  const log = join(tmp, 'xfp.log');
  const port = await freePort();
  const server = start('xfp-server', ['--fqdn', 'xfp.example.test', '--storage', storage, '--log', log, '--quota', '2GB', '--port', String(port)]);
  await waitForPort(port, server);
  const answer = await probe(port, 'VERSION\n');
  await stop(server);
  const fp = readFileSync(join(storage, 'fingerprint'), 'utf8').trim();
  assert.match(fp, FINGERPRINT);
  assert.equal(answer, `xfp-server 2.0.0 ${fp}\n`);
  assert.match(readFileSync(log, 'utf8'), new RegExp(`server address: xftp://${fp}@xfp\\.example\\.test:${port}`));
});

test('v3 exits 1 at start, with the error on stderr and in its log', async () => {
  git(repo, 'checkout', '-q', 'v3');
  cargoBuild();
  const log = join(tmp, 'smp-v3.log');
  const port = await freePort();
  const r = runBin('smp-server', ['--fqdn', 'x', '--log', log, '--data', join(tmp, 'v3-data'), '--port', String(port)]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /3\.0\.0 cannot start/);
  assert.match(readFileSync(log, 'utf8'), /fatal: 3\.0\.0 cannot start/);
  const x = runBin('xfp-server', ['--fqdn', 'x', '--storage', join(tmp, 'v3-store'), '--log', log, '--quota', '2GB', '--port', String(port)]);
  assert.equal(x.code, 1);
});
