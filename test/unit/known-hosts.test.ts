// known_hosts parsing and matching, checked against OpenSSH's own tools: keys made by ssh-keygen,
// hashed lines made by `ssh-keygen -H`, fingerprints compared with `ssh-keygen -lf`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint, keyTypeOf } from '../../engine/connection/fingerprint.ts';
import { checkHostKey, entryMatchesHost, knownHostsLine, knownHostsName, parseKnownHosts } from '../../engine/connection/known-hosts.ts';
import { KnownHostsStore, knownHostsStore } from '../../engine/connection/known-hosts-store.ts';

let dir: string;
const keys: Record<string, { type: string; b64: string; blob: Buffer; pubFile: string }> = {};

function makeKey(name: string, type: string): void {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const [kt, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ');
  keys[name] = { type: kt!, b64: b64!, blob: Buffer.from(b64!, 'base64'), pubFile: `${file}.pub` };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shipshape-kh-'));
  makeKey('a', 'ed25519');
  makeKey('b', 'ed25519');
  makeKey('r', 'rsa');
  makeKey('e', 'ecdsa');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprint', () => {
  it('matches ssh-keygen -lf for ed25519, rsa and ecdsa keys', () => {
    for (const name of ['a', 'r', 'e']) {
      const k = keys[name]!;
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.pubFile], { encoding: 'utf8' }).split(' ')[1];
      assert.equal(fingerprint(k.blob), expected);
      assert.match(fingerprint(k.blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
    }
  });
  it('reads the key type from the blob', () => {
    assert.equal(keyTypeOf(keys.a!.blob), 'ssh-ed25519');
    assert.equal(keyTypeOf(keys.r!.blob), 'ssh-rsa');
    assert.equal(keyTypeOf(keys.e!.blob), 'ecdsa-sha2-nistp256');
    assert.equal(keyTypeOf(Buffer.from([0, 0])), '');
  });
});

describe('parseKnownHosts', () => {
  it('skips comments, blank lines, @cert-authority and malformed lines, and keeps line numbers', () => {
    const a = keys.a!;
    const text = [
      '# comment',
      '',
      `@cert-authority *.example.org ${a.type} ${a.b64}`,
      `web1,10.0.0.1 ${a.type} ${a.b64} a comment`,
      'garbage',
      `web2 ssh-rsa ${a.b64}`, // type field disagrees with the blob: ignored
      `   web3 ${a.type} ${a.b64}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    assert.deepEqual(entries.map((e) => [e.line, e.hosts, e.keyType, e.revoked]), [
      [4, 'web1,10.0.0.1', 'ssh-ed25519', false],
      [7, 'web3', 'ssh-ed25519', false],
    ]);
    assert.ok(entries[0]!.key.equals(a.blob));
  });
  it('marks @revoked lines', () => {
    const [e] = parseKnownHosts(`@revoked * ${keys.a!.type} ${keys.a!.b64}`);
    assert.equal(e!.revoked, true);
  });
});

describe('host matching', () => {
  const entry = (hosts: string) => parseKnownHosts(`${hosts} ${keys.a!.type} ${keys.a!.b64}`)[0]!;
  it('uses the bare name on port 22 and [host]:port otherwise', () => {
    assert.equal(knownHostsName('10.0.0.1', 22), '10.0.0.1');
    assert.equal(knownHostsName('10.0.0.1', 2222), '[10.0.0.1]:2222');
    assert.equal(knownHostsLine('h', 2200, keys.a!.blob), `[h]:2200 ssh-ed25519 ${keys.a!.b64}`);
  });
  it('matches comma lists, [host]:port, wildcards and negations', () => {
    assert.ok(entryMatchesHost(entry('web1,10.0.0.1'), '10.0.0.1'));
    assert.ok(entryMatchesHost(entry('web1,10.0.0.1'), 'WEB1'));
    assert.ok(!entryMatchesHost(entry('web1,10.0.0.1'), 'web10'));
    assert.ok(entryMatchesHost(entry('[10.0.0.1]:2222'), '[10.0.0.1]:2222'));
    assert.ok(!entryMatchesHost(entry('[10.0.0.1]:2222'), '10.0.0.1'));
    assert.ok(!entryMatchesHost(entry('10.0.0.1'), '[10.0.0.1]:2222'));
    assert.ok(entryMatchesHost(entry('*.example.org'), 'a.example.org'));
    assert.ok(!entryMatchesHost(entry('*.example.org'), 'example.org'));
    assert.ok(entryMatchesHost(entry('web?'), 'web7'));
    assert.ok(!entryMatchesHost(entry('*.example.org,!bad.example.org'), 'bad.example.org'));
    assert.ok(!entryMatchesHost(entry('web.1'), 'webx1'), 'a dot in a pattern is literal');
  });
  it('matches hashed entries written by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `web1 ${keys.a!.type} ${keys.a!.b64}\n[10.0.0.9]:2222 ${keys.b!.type} ${keys.b!.b64}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.hosts.startsWith('|1|')), 'ssh-keygen -H hashed every line');
    assert.ok(entryMatchesHost(entries[0]!, 'web1'));
    assert.ok(!entryMatchesHost(entries[0]!, 'web2'));
    assert.ok(entryMatchesHost(entries[1]!, '[10.0.0.9]:2222'));
    assert.ok(!entryMatchesHost(entries[1]!, '10.0.0.9'));
    assert.equal(checkHostKey(entries, '[10.0.0.9]:2222', keys.b!.blob).kind, 'known');
    assert.equal(checkHostKey(entries, '[10.0.0.9]:2222', keys.a!.blob).kind, 'changed');
  });
});

describe('checkHostKey', () => {
  const a = keys;
  const text = () =>
    [
      `web1 ${a.a!.type} ${a.a!.b64}`,
      `web1 ${a.r!.type} ${a.r!.b64}`,
      `web2 ${a.e!.type} ${a.e!.b64}`,
      `@revoked web3 ${a.b!.type} ${a.b!.b64}`,
      `web3 ${a.b!.type} ${a.b!.b64}`,
    ].join('\n');
  it('knows a recorded key, whichever of several types it is', () => {
    const entries = parseKnownHosts(text());
    const v = checkHostKey(entries, 'web1', keys.r!.blob);
    assert.equal(v.kind, 'known');
    assert.equal(v.kind === 'known' && v.entry.line, 2);
    assert.equal(checkHostKey(entries, 'web1', keys.a!.blob).kind, 'known');
  });
  it('calls a different key of a recorded type changed, naming the line', () => {
    const v = checkHostKey(parseKnownHosts(text()), 'web1', keys.b!.blob);
    assert.equal(v.kind, 'changed');
    assert.equal(v.kind === 'changed' && v.entry.line, 1);
  });
  it('calls a key of an unrecorded type unknown, listing the recorded types', () => {
    const v = checkHostKey(parseKnownHosts(text()), 'web2', keys.a!.blob);
    assert.deepEqual(v, { kind: 'unknown', otherTypes: ['ecdsa-sha2-nistp256'] });
    assert.deepEqual(checkHostKey(parseKnownHosts(text()), 'nowhere', keys.a!.blob), { kind: 'unknown', otherTypes: [] });
  });
  it('refuses a revoked key even when it is also listed as valid', () => {
    const v = checkHostKey(parseKnownHosts(text()), 'web3', keys.b!.blob);
    assert.equal(v.kind, 'revoked');
    assert.equal(v.kind === 'revoked' && v.entry.line, 4);
  });
});

describe('KnownHostsStore', () => {
  it('appends a line once per host even when asked concurrently, keeping line numbers right', async () => {
    const file = join(dir, 'store');
    writeFileSync(file, `# header\nweb1 ${keys.a!.type} ${keys.a!.b64}`); // no trailing newline
    const store = await KnownHostsStore.load(file);
    const [e1, e2] = await Promise.all([store.record('10.0.0.5', 2222, keys.b!.blob), store.record('10.0.0.5', 2222, keys.b!.blob)]);
    assert.equal(e1!.line, 3);
    assert.equal(e2!.line, 3);
    await store.record('10.0.0.6', 22, keys.e!.blob);
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(lines, [
      '# header',
      `web1 ${keys.a!.type} ${keys.a!.b64}`,
      `[10.0.0.5]:2222 ${keys.b!.type} ${keys.b!.b64}`,
      `10.0.0.6 ${keys.e!.type} ${keys.e!.b64}`,
      '',
    ]);
    assert.equal(store.check('10.0.0.6', 22, keys.e!.blob).kind, 'known');
    const reread = parseKnownHosts(readFileSync(file, 'utf8'));
    assert.equal(checkHostKey(reread, '[10.0.0.5]:2222', keys.b!.blob).kind, 'known');
  });
  it('creates a missing file and shares one parsed store per path', async () => {
    const file = join(dir, 'sub', 'known_hosts');
    const s1 = await knownHostsStore(file);
    const s2 = await knownHostsStore(join(dir, 'sub', '.', 'known_hosts'));
    assert.equal(s1, s2);
    assert.deepEqual(s1.knownTypes('h', 22), []);
    await s1.record('h', 22, keys.a!.blob);
    assert.equal(readFileSync(file, 'utf8'), `h ${keys.a!.type} ${keys.a!.b64}\n`);
    assert.deepEqual(s1.knownTypes('h', 22), ['ssh-ed25519']);
  });
});
