// The connection layer against a real OpenSSH server: a throwaway sshd on 127.0.0.1 with its own host
// key, root for plain execs, and three local users for become (sudo with a password, NOPASSWD, and
// none at all); a second throwaway sshd with only an RSA host key stands in for an impostor that
// shows another key type. Needs root and /usr/sbin/sshd + sudo (Debian: apt-get install openssh-server sudo).
// Everything it creates (sshds, users, sudoers file, temp dir) is removed in after(), even on failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { engine, REPO } from './engine-cli.ts';
import { shellJoin } from '../../engine/quote.ts';
import { secret } from '../../engine/secret.ts';
import {
  AuthError,
  BecomeError,
  connect,
  ExecTimeoutError,
  HostKeyChangedError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  UnreachableError,
} from '../../engine/connection/index.ts';
import type { Connection, ConnectOptions, ConnectTarget } from '../../engine/connection/index.ts';

const nonce = randomBytes(3).toString('hex');
const USERS = { pw: `sstpw${nonce}`, nopw: `sstnp${nonce}`, none: `sstno${nonce}` };
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const SUDOERS = `/etc/sudoers.d/shipshape-test-${nonce}`;

interface Sshd {
  proc: ChildProcess;
  port: number;
  log: string;
}

let dir: string;
let port: number; // the ed25519 server's
let rsaPort: number; // the RSA-only server's
const servers: Sshd[] = [];
let hostPub: string; // "ssh-ed25519 AAAA..."
let otherHostPub: string;
let rsaHostPub: string; // "ssh-rsa AAAA..."
const createdUsers: string[] = [];
const open: Connection[] = [];
let khCount = 0;

const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { encoding: 'utf8', input });
const fp = (pubFile: string) => sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile]).split(' ')[1]!;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return p;
}

async function waitForBanner(p: number, deadline: number, log: () => string): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(p, '127.0.0.1');
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('SSH-2.0'));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not start on port ${p}:\n${log()}`);
}

/** A fresh known_hosts path (the store caches per path), optionally with lines in it. */
function knownHosts(lines: string[] = []): string {
  const file = join(dir, `known_hosts.${++khCount}`);
  if (lines.length) writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
const hostEntry = (pub = hostPub) => `[127.0.0.1]:${port} ${pub}`;

function target(user: string, extra: Partial<ConnectTarget> = {}): ConnectTarget {
  return { name: `test-${user}`, address: '127.0.0.1', port, user, privateKey: join(dir, 'client_key'), ...extra };
}

async function conn(user: string, extra: Partial<ConnectTarget> = {}): Promise<Connection> {
  const c = await connect(target(user, extra), { knownHostsFile: knownHosts([hostEntry()]), acceptNewHostKeys: false });
  open.push(c);
  return c;
}

/** The error a refused connect throws; a connect that succeeds is closed (so nothing hangs) and fails the test. */
async function refused(t: ConnectTarget, o: ConnectOptions): Promise<Error> {
  let c: Connection;
  try {
    c = await connect(t, o);
  } catch (e) {
    return e as Error;
  }
  await c.close();
  return assert.fail(`connect to ${t.name} should have been refused`);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shipshape-sshd-'));
  chmodSync(dir, 0o755); // sshd reads authorized_keys as the logging-in user
  for (const [name, type] of [['host_key', 'ed25519'], ['other_host_key', 'ed25519'], ['rsa_host_key', 'rsa'], ['client_key', 'ed25519'], ['stranger_key', 'ed25519']]) {
    sh('ssh-keygen', ['-q', '-t', type!, '-N', '', '-C', name!, '-f', join(dir, name!)]);
  }
  const pub = (name: string) => readFileSync(join(dir, `${name}.pub`), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  hostPub = pub('host_key');
  otherHostPub = pub('other_host_key');
  rsaHostPub = pub('rsa_host_key');
  copyFileSync(join(dir, 'client_key.pub'), join(dir, 'authorized_keys'));
  chmodSync(join(dir, 'authorized_keys'), 0o644);

  for (const user of Object.values(USERS)) {
    sh('useradd', ['-m', '-s', '/bin/bash', user]);
    createdUsers.push(user);
    // A password also unlocks the account, which sshd (UsePAM no) requires even for key logins.
    sh('chpasswd', [], `${user}:${PASSWORD}\n`);
  }
  const rules = `${USERS.pw} ALL=(ALL:ALL) ALL\n${USERS.nopw} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
  writeFileSync(SUDOERS, rules, { mode: 0o440 });
  sh('visudo', ['-c', '-f', SUDOERS]);

  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  port = (await startSshd('sshd', 'host_key')).port;
  rsaPort = (await startSshd('sshd_rsa', 'rsa_host_key')).port;
});

/** A throwaway sshd on 127.0.0.1 whose only host key is `hostKey` (a file in dir), logging in with client_key. */
async function startSshd(name: string, hostKey: string): Promise<Sshd> {
  const p = await freePort();
  const config = join(dir, `${name}_config`);
  writeFileSync(
    config,
    [
      `Port ${p}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, hostKey)}`,
      `PidFile ${join(dir, `${name}.pid`)}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'MaxStartups 100',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const server: Sshd = { proc: spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] }), port: p, log: '' };
  servers.push(server);
  server.proc.stderr!.on('data', (d) => (server.log += d));
  await waitForBanner(p, Date.now() + 10_000, () => server.log);
  return server;
}

after(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
  for (const { proc } of servers) {
    if (proc.exitCode !== null || proc.signalCode !== null) continue;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  }
  rmSync(SUDOERS, { force: true });
  for (const user of createdUsers) {
    try {
      execFileSync('userdel', ['-f', '-r', user], { stdio: 'ignore' });
    } catch {
      // userdel -r complains about a missing mail spool; the user is gone anyway
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('exec', { timeout: 120_000 }, () => {
  it('returns stdout, stderr and the exit code, and runs the text with /bin/sh', async () => {
    const c = await conn('root');
    const r = await c.exec('echo out; echo err >&2; exit 3');
    assert.equal(r.code, 3);
    assert.equal(r.stdout.toString(), 'out\n');
    assert.equal(r.stderr.toString(), 'err\n');
    // root's login shell is bash; $0 shows the command went through /bin/sh -c
    assert.equal((await c.exec('echo "$0"')).stdout.toString(), '/bin/sh\n');
    const q = await c.exec(shellJoin(['printf', '%s|', "it's", 'a b', '$HOME']));
    assert.equal(q.stdout.toString(), "it's|a b|$HOME|");
  });

  it('reports a command killed by a signal', async () => {
    const c = await conn('root');
    const r = await c.exec('kill -TERM $$');
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGTERM');
  });

  it('streams 5 MB of stdin, then EOF', async () => {
    const c = await conn('root');
    const data = randomBytes(5 * 1024 * 1024);
    const r = await c.exec('sha256sum', { stdin: data });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString().split(' ')[0], sha256(data));
    // from a stream, in chunks
    const chunks = Array.from({ length: 40 }, () => randomBytes(128 * 1024));
    const s = await c.exec('sha256sum', { stdin: Readable.from(chunks) });
    assert.equal(s.stdout.toString().split(' ')[0], sha256(Buffer.concat(chunks)));
    // no stdin: the command sees EOF at once instead of hanging
    const e = await c.exec('cat', { timeoutMs: 5000 });
    assert.equal(e.stdout.length, 0);
  });

  it('counts channels and bytes in stats, one channel per exec on one connection', async () => {
    const c = await conn('root');
    assert.deepEqual(c.stats, { execs: 0, bytesSent: 0, bytesReceived: 0 });
    const before = (await c.exec('echo $PPID')).stdout.toString();
    await Promise.all([c.exec('true'), c.exec('true'), c.exec('cat', { stdin: 'abc' })]);
    assert.equal(c.stats.execs, 4);
    assert.equal(c.stats.bytesSent, 'echo $PPID'.length + 'true'.length * 2 + 'cat'.length + 3);
    assert.equal(c.stats.bytesReceived, before.length + 3);
    // one TCP connection carries every exec: the client's source port seen by sshd does not change
    const first = (await c.exec('echo $SSH_CLIENT')).stdout.toString();
    const second = (await c.exec('echo $SSH_CLIENT')).stdout.toString();
    assert.match(first, /^127\.0\.0\.1 \d+ \d+\n$/);
    assert.equal(second, first);
    assert.equal(c.stats.execs, 6);
    const other = await conn('root');
    assert.notEqual((await other.exec('echo $SSH_CLIENT')).stdout.toString(), first, 'a second connection is a second TCP stream');
  });

  it('runs more parallel execs than sshd allows sessions per connection (MaxSessions 10)', async () => {
    const c = await conn('root');
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => c.exec(`sleep 0.2; echo ${i}`)));
    assert.deepEqual(results.map((r) => r.stdout.toString()), Array.from({ length: 25 }, (_, i) => `${i}\n`));
    assert.equal(c.stats.execs, 25);
  });

  // OpenSSH delivers signal requests only for non-root logins (for root the session runs in the
  // monitor, which refuses them), and a plain user cannot signal a sudo'ed command: all three cases.
  const cases = [
    { label: 'root login', user: () => 'root', become: undefined },
    { label: 'plain user', user: () => USERS.pw, become: undefined },
    { label: 'become', user: () => USERS.pw, become: { password: secret(PASSWORD) } },
  ];
  for (const { label, user, become } of cases) {
    it(`kills a command that runs past timeoutMs and keeps the connection usable (${label})`, async () => {
      const c = await conn(user());
      const tag = `10.${randomBytes(4).readUInt32BE(0)}`; // unique, so pgrep finds only this run's sleep
      const t0 = Date.now();
      await assert.rejects(c.exec(`sleep ${tag}`, { timeoutMs: 300, become }), ExecTimeoutError);
      assert.ok(Date.now() - t0 < 3000, 'timed out promptly');
      await new Promise((r) => setTimeout(r, 500));
      const left = await c.exec(`pgrep -f '^sleep ${tag.replace('.', '[.]')}' || true`);
      assert.equal(left.stdout.toString(), '', 'the command was killed, not left running');
      assert.equal((await c.exec('echo still here')).stdout.toString(), 'still here\n');
    });
  }
});

describe('become', { timeout: 120_000 }, () => {
  it('runs as root with a password fed on stdin, leaving no sudo chatter in stderr', async () => {
    const c = await conn(USERS.pw);
    assert.equal((await c.exec('whoami')).stdout.toString(), `${USERS.pw}\n`);
    const r = await c.exec('whoami; echo err >&2', { become: { password: secret(PASSWORD) } });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString(), 'root\n');
    assert.equal(r.stderr.toString(), 'err\n');
    assert.equal((await c.exec('exit 5', { become: { password: secret(PASSWORD) } })).code, 5, 'the exit code comes through sudo');
  });

  it('streams stdin to the command only after sudo is done with it', async () => {
    const c = await conn(USERS.pw);
    const data = randomBytes(1024 * 1024);
    const r = await c.exec('id -u; sha256sum', { stdin: data, become: { password: secret(PASSWORD) } });
    assert.equal(r.stdout.toString().split('\n')[0], '0');
    assert.equal(r.stdout.toString().split('\n')[1]!.split(' ')[0], sha256(data));
  });

  it('fails with BecomeError on a wrong password, closes the channel, and does not hang', async () => {
    const c = await conn(USERS.pw);
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const t0 = Date.now();
    const err = await c.exec('whoami', { become: { password: secret(wrong) } }).then(
      () => assert.fail('a wrong password must not run the command'),
      (e: Error) => e,
    );
    assert.ok(err instanceof BecomeError, `got ${err}`);
    assert.match(err.message, /incorrect sudo password/);
    assert.ok(!err.message.includes(wrong), 'the password is not in the message');
    assert.ok(Date.now() - t0 < 10_000, 'no hang');
    // the channel was closed: no sudo is left waiting for a password on the host
    await new Promise((r) => setTimeout(r, 300));
    const left = await (await conn('root')).exec(`pgrep -u ${USERS.pw} -f 'sudo -S' || true`);
    assert.equal(left.stdout.toString(), '');
    assert.equal((await c.exec('whoami')).stdout.toString(), `${USERS.pw}\n`, 'connection still usable');
  });

  it('fails with BecomeError when sudo needs a password and none was given', async () => {
    const c = await conn(USERS.pw);
    await assert.rejects(c.exec('whoami', { become: {} }), (e: Error) => e instanceof BecomeError && /none was given/.test(e.message));
  });

  it('fails with BecomeError when the user may not sudo', async () => {
    const c = await conn(USERS.none);
    await assert.rejects(c.exec('whoami', { become: { password: secret(PASSWORD) } }), (e: Error) => {
      assert.ok(e instanceof BecomeError, `got ${e}`);
      assert.match(e.message, /may not sudo/);
      assert.ok(!e.message.includes(PASSWORD));
      return true;
    });
  });

  it('works with NOPASSWD sudo, with or without a password, and the password never reaches the command', async () => {
    const c = await conn(USERS.nopw);
    assert.equal((await c.exec('whoami', { become: {} })).stdout.toString(), 'root\n');
    const r = await c.exec('whoami; cat', { stdin: 'hello', become: { password: secret(PASSWORD) } });
    assert.equal(r.stdout.toString(), 'root\nhello');
  });

  it('keeps the password out of the process list while the command runs', async () => {
    const c = await conn(USERS.pw);
    const observer = await conn('root');
    const running = c.exec('sleep 2', { become: { password: secret(PASSWORD) } });
    await new Promise((r) => setTimeout(r, 1000));
    const ps = (await observer.exec('ps -eo args')).stdout.toString();
    assert.match(ps, /^sleep 2$/m, 'the ps snapshot was taken while the command ran');
    assert.match(ps, /sudo -S -p/, 'sudo itself is in the snapshot');
    assert.ok(!ps.includes(PASSWORD), 'password visible in ps');
    assert.equal((await running).code, 0);
    assert.ok(!JSON.stringify(c.stats).includes(PASSWORD));
  });
});

describe('host keys', { timeout: 120_000 }, () => {
  it('refuses an unknown host key and says how to fix it', async () => {
    const file = knownHosts();
    const e = await refused(target('root'), { knownHostsFile: file, acceptNewHostKeys: false });
    assert.ok(e instanceof HostKeyUnknownError, `got ${e}`);
    assert.match(e.message, /--accept-new-host-keys/);
    assert.ok(e.message.includes(file));
    assert.ok(e.message.includes(fp(join(dir, 'host_key.pub'))));
    assert.equal(existsSync(file), false, 'nothing recorded');
  });

  it('records a new key with acceptNewHostKeys, and the next connect accepts it', async () => {
    const file = knownHosts();
    const c1 = await connect(target('root'), { knownHostsFile: file, acceptNewHostKeys: true });
    open.push(c1);
    assert.equal(readFileSync(file, 'utf8'), hostEntry() + '\n');
    // a fresh path (no shared cache) holding what was written: accepted without --accept-new
    const copy = knownHosts();
    copyFileSync(file, copy);
    const c2 = await connect(target('root'), { knownHostsFile: copy, acceptNewHostKeys: false });
    open.push(c2);
    assert.equal((await c2.exec('echo ok')).stdout.toString(), 'ok\n');
    assert.equal(readFileSync(copy, 'utf8'), hostEntry() + '\n', 'a known host is not recorded twice');
  });

  it('accepts a hashed entry (ssh-keygen -H)', async () => {
    const file = knownHosts(['# fleet', hostEntry()]);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    assert.ok(!readFileSync(file, 'utf8').includes('127.0.0.1'));
    const c = await connect(target('root'), { knownHostsFile: file, acceptNewHostKeys: false });
    open.push(c);
    assert.equal((await c.exec('echo ok')).stdout.toString(), 'ok\n');
  });

  it('always refuses a changed key, showing both fingerprints, the file and the line', async () => {
    const file = knownHosts(['# fleet', hostEntry(otherHostPub)]);
    const before = readFileSync(file, 'utf8');
    for (const acceptNewHostKeys of [false, true]) {
      const e = await refused(target('root'), { knownHostsFile: file, acceptNewHostKeys });
      assert.ok(e instanceof HostKeyChangedError, `got ${e}`);
      assert.ok(e.message.includes(fp(join(dir, 'host_key.pub'))), 'presented fingerprint');
      assert.ok(e.message.includes(fp(join(dir, 'other_host_key.pub'))), 'recorded fingerprint');
      assert.ok(e.message.includes(`${file} line 2`));
    }
    assert.equal(readFileSync(file, 'utf8'), before, 'the file is left alone');
  });

  // A host with any recorded key is never new: a server showing a key none of the recorded ones equal,
  // of whatever type, is refused as changed (OpenSSH's accept-new does the same) and never recorded.
  const otherType = [
    { label: 'an RSA-only server where its ed25519 key is recorded', server: () => rsaPort, recorded: 'host_key', presented: 'rsa_host_key', type: 'ssh-rsa' },
    { label: 'an ed25519 server where only an RSA key is recorded', server: () => port, recorded: 'rsa_host_key', presented: 'host_key', type: 'ssh-ed25519' },
  ];
  for (const c of otherType) {
    it(`refuses ${c.label} as a changed key, with or without acceptNewHostKeys, recording nothing`, async () => {
      for (const acceptNewHostKeys of [true, false]) {
        const recorded = c.recorded === 'host_key' ? hostPub : rsaHostPub;
        const file = knownHosts(['# fleet', `[127.0.0.1]:${c.server()} ${recorded}`]);
        const before = readFileSync(file);
        const e = await refused(target('root', { port: c.server() }), { knownHostsFile: file, acceptNewHostKeys });
        assert.ok(e instanceof HostKeyChangedError, `acceptNewHostKeys ${acceptNewHostKeys}: got ${e}`);
        assert.ok(e.message.includes(`presented ${c.type} ${fp(join(dir, `${c.presented}.pub`))}`), `presented type and fingerprint: ${e.message}`);
        assert.ok(e.message.includes(`${file} line 2 records ${recorded.split(' ')[0]} ${fp(join(dir, `${c.recorded}.pub`))}`), `recorded key and line: ${e.message}`);
        assert.ok(e.message.includes(`ssh-keygen -R '[127.0.0.1]:${c.server()}' -f ${file}`), `how to fix: ${e.message}`);
        assert.ok(readFileSync(file).equals(before), 'known_hosts is byte-identical: the impostor key was not recorded');
      }
    });
  }

  it('knows a host with keys of two types recorded by the one it shows', async () => {
    // The handshake asks for a recorded type first; the RSA-only server can only answer with RSA.
    for (const p of [port, rsaPort]) {
      const file = knownHosts([`[127.0.0.1]:${p} ${hostPub}`, `[127.0.0.1]:${p} ${rsaHostPub}`]);
      const before = readFileSync(file);
      const c = await connect(target('root', { port: p }), { knownHostsFile: file, acceptNewHostKeys: true });
      open.push(c);
      assert.equal((await c.exec('echo ok')).stdout.toString(), 'ok\n');
      assert.ok(readFileSync(file).equals(before), 'nothing recorded');
    }
  });

  it('records one key only when parallel first connections to one address meet different keys', async () => {
    // A TCP relay sends the first connection to the ed25519 server and the second to the RSA-only one:
    // two first connections under acceptNewHostKeys at once, one of them reaching an impostor.
    let accepted = 0;
    const sockets: Socket[] = [];
    const relay: Server = createServer((down) => {
      const up = tcpConnect(accepted++ % 2 === 0 ? port : rsaPort, '127.0.0.1');
      sockets.push(down, up);
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const relayPort = (relay.address() as { port: number }).port;
    const connected: Connection[] = [];
    try {
      const file = knownHosts();
      const opts = { knownHostsFile: file, acceptNewHostKeys: true };
      const results = await Promise.allSettled([connect(target('root', { port: relayPort }), opts), connect(target('root', { port: relayPort }), opts)]);
      for (const r of results) if (r.status === 'fulfilled') connected.push(r.value);
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
      assert.equal(accepted, 2, 'both went through the relay');
      assert.equal(connected.length, 1, `exactly one connects: ${errors.join('; ')}`);
      assert.ok(errors[0] instanceof HostKeyChangedError, `the other is refused as changed: got ${errors[0]}`);
      const text = readFileSync(file, 'utf8');
      const winner = text.includes(' ssh-rsa ') ? 'rsa_host_key' : 'host_key';
      assert.equal(text, `[127.0.0.1]:${relayPort} ${winner === 'rsa_host_key' ? rsaHostPub : hostPub}\n`, 'one line, the first key recorded');
      const loser = winner === 'host_key' ? 'rsa_host_key' : 'host_key';
      assert.ok(errors[0].message.includes(fp(join(dir, `${loser}.pub`))), `the refused one presented the other key: ${errors[0].message}`);
    } finally {
      await Promise.allSettled(connected.map((c) => c.close()));
      for (const s of sockets) s.destroy();
      relay.close();
    }
  });

  it('the CLI refuses an RSA-only server whose ed25519 key is recorded, with or without --accept-new-host-keys', async () => {
    const inventory = join(dir, 'impostor.yml');
    writeFileSync(
      inventory,
      `hosts:\n  impostor: { address: 127.0.0.1, port: ${rsaPort}, user: root, privateKey: ${join(dir, 'client_key')} }\n`,
    );
    // A harmless play: if the connection were wrongly accepted it would run as root on this machine.
    const playbook = join(dir, 'harmless.ts');
    writeFileSync(
      playbook,
      `import { play, playbook, task } from '${REPO}/engine/playbook/define.ts';\n` +
        `import { command } from '${REPO}/modules/index.ts';\n` +
        `export default playbook(play({ name: 'harmless', hosts: 'impostor', tasks: [task('true', command({ argv: ['true'] }))] }));\n`,
    );
    for (const flags of [['--accept-new-host-keys'], []]) {
      const file = knownHosts([`[127.0.0.1]:${rsaPort} ${hostPub}`]);
      const before = readFileSync(file);
      const res = await engine(['run', playbook, '-i', inventory, '--known-hosts', file, ...flags]);
      assert.equal(res.code, 4, `exit 4 (refused for its host key) with [${flags}]:\n${res.stdout}${res.stderr}`);
      assert.match(res.stdout, /HOST KEY CHANGED/);
      assert.ok(res.stdout.includes(fp(join(dir, 'rsa_host_key.pub'))), `the presented fingerprint is shown:\n${res.stdout}`);
      assert.ok(res.stdout.includes(fp(join(dir, 'host_key.pub'))), `the recorded fingerprint is shown:\n${res.stdout}`);
      assert.ok(readFileSync(file).equals(before), 'known_hosts is byte-identical: the impostor key was not recorded');
    }
  });

  it('refuses a revoked key even with acceptNewHostKeys', async () => {
    const file = knownHosts([`@revoked * ${hostPub}`]);
    const e = await refused(target('root'), { knownHostsFile: file, acceptNewHostKeys: true });
    assert.ok(e instanceof HostKeyRevokedError, `got ${e}`);
    assert.ok(e.message.includes(`${file} line 1`));
    assert.equal(readFileSync(file, 'utf8'), `@revoked * ${hostPub}\n`, 'nothing recorded');
  });
});

describe('connect failures', { timeout: 120_000 }, () => {
  it('reports a closed port as unreachable, quickly, naming host and address', async () => {
    const closed = await freePort();
    const t0 = Date.now();
    const e = await refused(target('root', { port: closed, name: 'web9' }), { knownHostsFile: knownHosts(), acceptNewHostKeys: false });
    assert.ok(e instanceof UnreachableError, `got ${e}`);
    assert.ok(e.message.includes('web9') && e.message.includes(`127.0.0.1:${closed}`), e.message);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('gives up on a host that accepts TCP but never speaks, after connectTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      const e = await refused(target('root', { port: silentPort, connectTimeoutMs: 500 }), { knownHostsFile: knownHosts(), acceptNewHostKeys: false });
      assert.ok(e instanceof UnreachableError, `got ${e}`);
      const took = Date.now() - t0;
      assert.ok(took >= 400 && took < 3000, `took ${took} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('reports a rejected key as AuthError', async () => {
    const e = await refused(target('root', { privateKey: join(dir, 'stranger_key') }), { knownHostsFile: knownHosts([hostEntry()]), acceptNewHostKeys: false });
    assert.ok(e instanceof AuthError, `got ${e}`);
    assert.ok(e.message.includes('stranger_key'), e.message);
  });
});

describe('agent', { timeout: 120_000 }, () => {
  it('authenticates with the keys in the agent at SSH_AUTH_SOCK when no key file is set', async () => {
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
      execFileSync('ssh-add', ['-q', join(dir, 'client_key')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      process.env.SSH_AUTH_SOCK = sock;
      const c = await conn('root', { privateKey: undefined });
      assert.equal((await c.exec('whoami')).stdout.toString(), 'root\n');
      await c.close();
      delete process.env.SSH_AUTH_SOCK;
      const e = await refused(target('root', { privateKey: undefined }), { knownHostsFile: knownHosts([hostEntry()]), acceptNewHostKeys: false });
      assert.ok(e instanceof AuthError && /SSH_AUTH_SOCK/.test(e.message), `got ${e}`);
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      agent.kill('SIGTERM');
    }
  });
});

describe('jump hosts', { timeout: 120_000 }, () => {
  it('connects through a jump host', async () => {
    const c = await conn(USERS.nopw, { jump: target('root', { name: 'bastion' }) });
    assert.equal((await c.exec('whoami')).stdout.toString(), `${USERS.nopw}\n`);
    assert.equal(c.stats.execs, 1);
  });

  it('a jump host whose forward never gets an answer is given up at the connect timeout, not the kernel\'s ~2 minutes', async () => {
    // A port that never accepts and whose backlog is full: a further SYN is dropped silently, as by
    // a firewall, so the jump host's TCP connect hangs (loopback only).
    const port = await freePort();
    const python = spawn('python3', ['-c', `import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',${port}))\ns.listen(0)\nprint('ready',flush=True)\ntime.sleep(120)`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const fillers: Socket[] = [];
    try {
      await new Promise<void>((r) => python.stdout!.once('data', () => r()));
      for (let i = 0; i < 3; i++) fillers.push(tcpConnect(port, '127.0.0.1').on('error', () => {}));
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      const e = await refused(target('root', { port, connectTimeoutMs: 2000, jump: target('root', { name: 'bastion' }) }), { knownHostsFile: knownHosts([hostEntry()]), acceptNewHostKeys: false });
      const took = Date.now() - t0;
      assert.ok(e instanceof UnreachableError, `got ${e}`);
      assert.match(e.message, /via bastion: no answer within 2000 ms/);
      assert.ok(took < 6000, `given up in ${took} ms`);
    } finally {
      for (const f of fillers) f.destroy();
      python.kill();
    }
  });

  it('reports a target the jump host cannot reach as unreachable via the jump host', async () => {
    const closed = await freePort();
    const e = await refused(target('root', { port: closed, jump: target('root', { name: 'bastion' }) }), { knownHostsFile: knownHosts([hostEntry()]), acceptNewHostKeys: false });
    assert.ok(e instanceof UnreachableError, `got ${e}`);
    assert.ok(e.message.includes('via bastion'), e.message);
  });
});
