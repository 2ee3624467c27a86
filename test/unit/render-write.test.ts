// The write and the path steps are shell text: run them here with /bin/sh (dash) in temp folders
// and check what they leave. A folder owned by `nobody` stands for one a host's user owns: links
// planted in it in advance must never be followed (the race itself is tested on the lab).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRun, renderWrite, script } from '../../engine/plan/render.ts';
import type { Step, WriteStep } from '../../engine/plan/types.ts';
import { frameBytes, newToken } from '../../engine/remote/frame.ts';
import { quote } from '../../engine/quote.ts';
import { secret } from '../../engine/secret.ts';
import { runLocally } from './run-local.ts';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const NOBODY = 65534;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "ss-write it's-"));
}

/** A folder another user owns, with a root-only file beside it that an attack would aim at. */
function hostileSetup() {
  const root = tempDir();
  const home = join(root, 'home');
  mkdirSync(home);
  chownSync(home, NOBODY, NOBODY);
  const vault = join(root, 'vault');
  mkdirSync(vault, { mode: 0o700 });
  const secretFile = join(vault, 'shadow');
  writeFileSync(secretFile, 'root-only\n', { mode: 0o600 });
  return { root, home, vault, secretFile };
}

const untouched = (path: string, content: string, mode: number) => {
  assert.equal(readFileSync(path, 'utf8'), content);
  assert.equal(statSync(path).mode & 0o7777, mode);
  assert.equal(statSync(path).uid, 0);
};

test('writes content with the wanted mode to a hostile name and leaves no temp file', () => {
  const dir = tempDir();
  const path = join(dir, "it's a $(touch pwned) file");
  runLocally({ kind: 'write', path, content: 'hello\n', mode: '0640' });
  assert.equal(readFileSync(path, 'utf8'), 'hello\n');
  assert.equal((statSync(path).mode & 0o777).toString(8), '640');
  assert.deepEqual(readdirSync(dir), ["it's a $(touch pwned) file"]);
});

test('a failed validation keeps the old file and removes the temp file', () => {
  const dir = tempDir();
  const path = join(dir, 'conf');
  writeFileSync(path, 'old\n');
  const r = runLocally({ kind: 'write', path, content: 'new\n', validate: 'grep -q good %s' }, { allowFailure: true });
  assert.equal(r.status, 3);
  assert.match(r.stderr.toString(), /validation failed: grep -q good %s/);
  assert.equal(readFileSync(path, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(dir), ['conf']);
});

test('an existing file keeps its mode and owner when none is given; backup keeps the old content and says where', () => {
  const dir = tempDir();
  const path = join(dir, 'conf');
  writeFileSync(path, 'old\n', { mode: 0o600 });
  chownSync(path, NOBODY, NOBODY);
  const r = runLocally({ kind: 'write', path, content: 'new\n', backup: true });
  assert.equal((statSync(path).mode & 0o777).toString(8), '600');
  assert.equal(statSync(path).uid, NOBODY);
  const backups = readdirSync(dir).filter((f) => f.endsWith('~'));
  assert.equal(backups.length, 1);
  assert.equal(readFileSync(join(dir, backups[0]!), 'utf8'), 'old\n');
  assert.match(r.stdout.toString(), new RegExp(`^backup=${join(dir, backups[0]!).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
});

test('secret content and its sha256 travel on stdin, never in the command text', () => {
  const value = 's3cr3t-value';
  const text = script([renderWrite({ kind: 'write', path: '/tmp/x', content: secret(value), replaces: sha256('old secret') })]);
  assert.ok(!text.includes(value));
  assert.ok(!text.includes(sha256(value)));
  assert.ok(!text.includes(sha256('old secret')));
  const run = script([renderRun({ kind: 'run', argv: ['cat'], stdin: secret(value), env: { A: 'b c' }, cwd: '/tmp' })]);
  assert.ok(!run.includes(value));
  assert.ok(run.includes("{\ncd /tmp || exit 1\nA='b c' cat\n}"));
});

test('a secret in a command environment is refused (it would be in the process list)', () => {
  assert.throws(() => renderRun({ kind: 'run', argv: ['app'], env: { TOKEN: secret('env-secret-1') as never } }), /env TOKEN of app is a secret/);
});

test('a stream cut anywhere (header, mid-frame, before or inside the trailer) commits nothing and leaves no temp file', () => {
  const dir = tempDir();
  const path = join(dir, 'authorized_keys');
  writeFileSync(path, 'old key\n', { mode: 0o600 });
  const content = Buffer.from('k'.repeat(2 * 1024 * 1024 + 3));
  const step: WriteStep = { kind: 'write', path, content };
  const command = script([renderWrite(step)]);
  const framed = frameBytes(content, { token: newToken() });
  for (const cut of [0, 5, 17, 18, 40, 1024 * 1024, framed.length - 80, framed.length - 40, framed.length - 1]) {
    const r = spawnSync('/bin/sh', ['-c', command], { input: framed.subarray(0, cut) });
    assert.notEqual(r.status, 0, `cut at ${cut} must fail`);
    assert.equal(readFileSync(path, 'utf8'), 'old key\n', `cut at ${cut}: the old content stays`);
    assert.deepEqual(readdirSync(dir), ['authorized_keys'], `cut at ${cut}: no temp file left`);
  }
  const whole = spawnSync('/bin/sh', ['-c', command], { input: framed });
  assert.equal(whole.status, 0, whole.stderr.toString());
  assert.ok(readFileSync(path).equals(content));
});

test('a trailer that does not match what arrived, or an abort, is refused', () => {
  const dir = tempDir();
  const path = join(dir, 'f');
  const command = script([renderWrite({ kind: 'write', path, content: 'abc' })]);
  const token = newToken();
  const lying = Buffer.from(`${token} -\n3\nabcend 3 ${sha256('xyz')}\n`);
  assert.equal(spawnSync('/bin/sh', ['-c', command], { input: lying }).status, 23);
  const short = Buffer.from(`${token} -\n3\nabend 3 ${sha256('abc')}\n`);
  assert.equal(spawnSync('/bin/sh', ['-c', command], { input: short }).status, 23);
  const aborted = Buffer.from(`${token} -\n3\nabcabort\n`);
  assert.equal(spawnSync('/bin/sh', ['-c', command], { input: aborted }).status, 23);
  assert.deepEqual(readdirSync(dir), []);
});

test('compare-and-swap: a target changed since the plan was read is left alone; createOnly never replaces', () => {
  const dir = tempDir();
  const path = join(dir, 'f');
  writeFileSync(path, 'edited meanwhile\n');
  const r = runLocally({ kind: 'write', path, content: 'planned\n', replaces: sha256('as read\n') }, { allowFailure: true });
  assert.equal(r.status, 4);
  assert.match(r.stderr.toString(), /changed since it was read .*nothing written/);
  assert.equal(readFileSync(path, 'utf8'), 'edited meanwhile\n');
  runLocally({ kind: 'write', path, content: 'planned\n', replaces: sha256('edited meanwhile\n') });
  assert.equal(readFileSync(path, 'utf8'), 'planned\n');
  runLocally({ kind: 'write', path, content: '', createOnly: true });
  assert.equal(readFileSync(path, 'utf8'), 'planned\n');
  runLocally({ kind: 'write', path: join(dir, 'new'), content: '', createOnly: true, mode: '0600' });
  assert.equal(statSync(join(dir, 'new')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).sort(), ['f', 'new']);
});

test('a command fed stdin only runs once all of it arrived', () => {
  const dir = tempDir();
  const out = join(dir, 'got');
  const step: Step = { kind: 'run', argv: ['sh', '-c', `cat > ${quote(out)}`], stdin: 'user:password\n' };
  const command = script([renderRun(step)]);
  const framed = frameBytes(Buffer.from('user:password\n'), { token: newToken() });
  const r = spawnSync('/bin/sh', ['-c', command], { input: framed.subarray(0, framed.length - 20) });
  assert.equal(r.status, 23);
  assert.equal(existsSync(out), false, 'the command never ran on a truncated stdin');
  runLocally(step);
  assert.equal(readFileSync(out, 'utf8'), 'user:password\n');
});

test("in a folder another user owns: a link planted for a folder on the way is refused by every kind of step", () => {
  const { home, vault, secretFile } = hostileSetup();
  symlinkSync(vault, join(home, '.ssh'));
  const steps: Step[] = [
    { kind: 'write', path: join(home, '.ssh', 'shadow'), content: 'pwned\n' },
    { kind: 'write', path: join(home, '.ssh', 'new'), content: 'pwned\n' },
    { kind: 'attrs', path: join(home, '.ssh', 'shadow'), mode: '0666', owner: String(NOBODY) },
    { kind: 'mkdir', path: join(home, '.ssh', 'sub'), owner: String(NOBODY) },
    { kind: 'remove', path: join(home, '.ssh', 'shadow') },
    { kind: 'symlink', path: join(home, '.ssh', 'l'), target: '/etc/passwd' },
  ];
  for (const step of steps) {
    const r = runLocally(step, { allowFailure: true });
    assert.equal(r.status, 20, `${step.kind}: ${r.stderr}`);
    assert.match(r.stderr.toString(), /refusing to follow the symbolic link .*\.ssh: its folder can be changed by uid 65534/);
  }
  untouched(secretFile, 'root-only\n', 0o600);
  assert.deepEqual(readdirSync(vault), ['shadow']);
});

test('in a folder another user owns: a link at the target name is replaced, never written through; attrs refuse it', () => {
  const { home, secretFile } = hostileSetup();
  const target = join(home, 'authorized_keys');
  symlinkSync(secretFile, target);
  const r = runLocally({ kind: 'attrs', path: target, mode: '0666', owner: String(NOBODY) }, { allowFailure: true });
  assert.equal(r.status, 20);
  assert.match(r.stderr.toString(), /is a symbolic link, not a regular file or folder/);
  untouched(secretFile, 'root-only\n', 0o600);
  runLocally({ kind: 'write', path: target, content: 'key\n', owner: String(NOBODY), mode: '0600' });
  untouched(secretFile, 'root-only\n', 0o600);
  assert.equal(lstatSync(target).isFile(), true);
  assert.equal(readFileSync(target, 'utf8'), 'key\n');
  assert.equal(statSync(target).uid, NOBODY);
});

test('folders: mkdir makes the missing ones with the attributes on the last; chmod clears a setgid bit GNU chmod would keep', () => {
  const { home } = hostileSetup();
  const deep = join(home, 'a', 'b', 'c');
  runLocally({ kind: 'mkdir', path: deep, mode: '0750', owner: String(NOBODY) });
  assert.equal(statSync(deep).mode & 0o7777, 0o750);
  assert.equal(statSync(deep).uid, NOBODY);
  assert.equal(statSync(join(home, 'a')).mode & 0o7777, 0o755);
  chmodSync(deep, 0o2775);
  runLocally({ kind: 'attrs', path: deep, mode: '0755' });
  assert.equal(statSync(deep).mode & 0o7777, 0o755);
  runLocally({ kind: 'attrs', path: deep, mode: '2750' });
  assert.equal(statSync(deep).mode & 0o7777, 0o2750);
  runLocally({ kind: 'remove', path: join(home, 'a') });
  assert.equal(existsSync(join(home, 'a')), false);
  runLocally({ kind: 'remove', path: join(home, 'gone', 'x') });
});

test('a host whose content stops coming (a cut cable: no EOF) gives up at the deadline and removes its temp file', async () => {
  const dir = tempDir();
  const path = join(dir, 'big');
  writeFileSync(path, 'old\n');
  const content = Buffer.alloc(1024 * 1024, 7);
  const framed = frameBytes(content, { token: newToken() });
  // detached: its own process group, as an exec has on a host (sshd starts each session with setsid).
  const child = spawn('/bin/sh', ['-c', script([renderWrite({ kind: 'write', path, content }, { deadlineS: 2 })])], { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
  child.stdin.write(framed.subarray(0, 300_000)); // and then nothing, without closing
  const started = Date.now();
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  child.stdin.destroy();
  assert.equal(code, 143, 'ended by its own watchdog');
  assert.ok(Date.now() - started < 6000, 'within the deadline');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(readFileSync(path, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(dir), ['big'], 'no temp file left');
});
