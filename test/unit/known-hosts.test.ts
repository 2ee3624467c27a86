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
import type { HostKeyVerdict } from '../../engine/connection/known-hosts.ts';
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

/** What a verdict says, in a form a table can hold: the kind and the known_hosts lines it names. */
function summaryOf(v: HostKeyVerdict): { kind: string; lines: number[] } {
  return { kind: v.kind, lines: v.kind === 'changed' ? v.recorded.map((e) => e.line) : v.kind === 'unknown' ? [] : [v.entry.line] };
}

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
  const line = (hosts: string, name: string, marker = '') => `${marker}${hosts} ${keys[name]!.type} ${keys[name]!.b64}`.trim();
  // A host with any valid recorded key is never new: a key equal to none of them is a changed key,
  // whatever its type (OpenSSH's accept-new refuses it too). Only a host with no valid entry is unknown.
  // @revoked lines are not valid entries (as in OpenSSH): they refuse their own key, and a host whose
  // only lines are @revoked is unknown, so `@revoked * KEY` (revoking one key everywhere) does not turn
  // every host into a changed one.
  const rows: Array<{ label: string; file: string[]; host: string; presented: string; want: { kind: string; lines: number[] } }> = [
    { label: 'ed25519 recorded, RSA presented: changed', file: [line('web1', 'a')], host: 'web1', presented: 'r', want: { kind: 'changed', lines: [1] } },
    { label: 'ecdsa recorded, ed25519 presented: changed', file: ['# fleet', line('web2', 'e')], host: 'web2', presented: 'a', want: { kind: 'changed', lines: [2] } },
    { label: 'ed25519 + RSA recorded, that RSA presented: known', file: [line('web1', 'a'), line('web1', 'r')], host: 'web1', presented: 'r', want: { kind: 'known', lines: [2] } },
    { label: 'ed25519 + RSA recorded, that ed25519 presented: known', file: [line('web1', 'a'), line('web1', 'r')], host: 'web1', presented: 'a', want: { kind: 'known', lines: [1] } },
    { label: 'ed25519 + RSA recorded, another ed25519 presented: changed, naming both lines', file: [line('web1', 'a'), line('web1', 'r')], host: 'web1', presented: 'b', want: { kind: 'changed', lines: [1, 2] } },
    { label: "only another host's keys recorded: unknown", file: [line('web2', 'a'), line('web3', 'r')], host: 'web1', presented: 'r', want: { kind: 'unknown', lines: [] } },
    { label: 'no entry at all: unknown', file: [], host: 'web1', presented: 'a', want: { kind: 'unknown', lines: [] } },
    { label: 'a wildcard entry of another type: changed', file: [line('*.example.org', 'a')], host: 'db.example.org', presented: 'r', want: { kind: 'changed', lines: [1] } },
    { label: 'only a @revoked entry for the host, another key presented: unknown', file: [line('web1', 'b', '@revoked ')], host: 'web1', presented: 'r', want: { kind: 'unknown', lines: [] } },
    { label: 'only a @revoked entry for the host, that key presented: revoked', file: [line('web1', 'b', '@revoked ')], host: 'web1', presented: 'b', want: { kind: 'revoked', lines: [1] } },
    { label: 'a global @revoked line and a recorded key, another type presented: changed', file: [line('*', 'b', '@revoked '), line('web1', 'a')], host: 'web1', presented: 'r', want: { kind: 'changed', lines: [2] } },
    { label: 'a revoked key also listed as valid: revoked', file: [line('web3', 'b', '@revoked '), line('web3', 'b')], host: 'web3', presented: 'b', want: { kind: 'revoked', lines: [1] } },
  ];
  for (const row of rows) {
    it(row.label, () => {
      assert.deepEqual(summaryOf(checkHostKey(parseKnownHosts(row.file.join('\n')), row.host, keys[row.presented]!.blob)), row.want);
    });
  }

  it('decides the same for hashed entries (ssh-keygen -H)', () => {
    const file = join(dir, 'hashed-types');
    writeFileSync(file, `# fleet\n[10.0.0.9]:2222 ${keys.a!.type} ${keys.a!.b64}\n@revoked 10.0.0.8 ${keys.b!.type} ${keys.b!.b64}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    assert.ok(entries.filter((e) => !e.revoked).every((e) => e.hosts.startsWith('|1|')), 'ssh-keygen -H hashed the plain line');
    const check = (host: string, name: string) => summaryOf(checkHostKey(entries, host, keys[name]!.blob));
    assert.deepEqual(check('[10.0.0.9]:2222', 'r'), { kind: 'changed', lines: [2] }, 'another type than the hashed entry');
    assert.deepEqual(check('[10.0.0.9]:2222', 'b'), { kind: 'changed', lines: [2] }, 'another key of the same type');
    assert.deepEqual(check('[10.0.0.9]:2222', 'a'), { kind: 'known', lines: [2] });
    assert.deepEqual(check('10.0.0.9', 'r'), { kind: 'unknown', lines: [] }, 'port 22 is another host');
    assert.deepEqual(check('10.0.0.8', 'r'), { kind: 'unknown', lines: [] }, 'only revoked');
  });
});

describe('KnownHostsStore', () => {
  it('appends a line once per host even when asked concurrently, keeping line numbers right', async () => {
    const file = join(dir, 'store');
    writeFileSync(file, `# header\nweb1 ${keys.a!.type} ${keys.a!.b64}`); // no trailing newline
    const store = await KnownHostsStore.load(file);
    const [e1, e2] = await Promise.all([store.record('10.0.0.5', 2222, keys.b!.blob), store.record('10.0.0.5', 2222, keys.b!.blob)]);
    assert.deepEqual(summaryOf(e1), { kind: 'known', lines: [3] });
    assert.deepEqual(summaryOf(e2), { kind: 'known', lines: [3] });
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
  it('records only the first of two keys raced in for one host; the other is changed and never written', async () => {
    // Two parallel first connections to one address under --accept-new-host-keys, one reaching an
    // impostor with another key type: both saw "unknown" before either wrote, and the second append
    // must find the host no longer new.
    const file = join(dir, 'race');
    writeFileSync(file, `web1 ${keys.a!.type} ${keys.a!.b64}\n`);
    const store = await KnownHostsStore.load(file);
    assert.equal(store.check('10.0.0.7', 22, keys.e!.blob).kind, 'unknown');
    assert.equal(store.check('10.0.0.7', 22, keys.r!.blob).kind, 'unknown');
    const [first, second] = await Promise.all([store.record('10.0.0.7', 22, keys.e!.blob), store.record('10.0.0.7', 22, keys.r!.blob)]);
    assert.equal(readFileSync(file, 'utf8'), `web1 ${keys.a!.type} ${keys.a!.b64}\n10.0.0.7 ${keys.e!.type} ${keys.e!.b64}\n`);
    assert.deepEqual(summaryOf(first), { kind: 'known', lines: [2] });
    assert.deepEqual(summaryOf(second), { kind: 'changed', lines: [2] });
    assert.equal(store.check('10.0.0.7', 22, keys.r!.blob).kind, 'changed', 'and stays refused');
  });
  it('writes nothing when asked to record a key for a host that already has another', async () => {
    const file = join(dir, 'no-record');
    const text = `# fleet\n@revoked * ${keys.b!.type} ${keys.b!.b64}\nweb1 ${keys.a!.type} ${keys.a!.b64}\n`;
    writeFileSync(file, text);
    const store = await KnownHostsStore.load(file);
    const changed = await store.record('web1', 22, keys.r!.blob);
    const revoked = await store.record('web1', 22, keys.b!.blob);
    assert.equal(readFileSync(file, 'utf8'), text);
    assert.deepEqual(summaryOf(changed), { kind: 'changed', lines: [3] });
    assert.deepEqual(summaryOf(revoked), { kind: 'revoked', lines: [2] });
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
