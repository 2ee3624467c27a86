// The three consumers of the event stream: the human view (plain lines off a terminal), --json
// lines and the log file, each masking secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { humanView } from '../../engine/report/human.ts';
import { jsonLines } from '../../engine/report/json.ts';
import { logFile } from '../../engine/report/log-file.ts';
import type { EngineEvent } from '../../engine/report/events.ts';
import { secret } from '../../engine/secret.ts';
import { canary, CANARY, canaryTexts, leaks } from './canary.ts';

const pw = secret('report-test-password-77');
const events: EngineEvent[] = [
  { type: 'run.start', playbook: 'pb.ts', inventory: 'inv.yml', check: true, hosts: ['a'] },
  { type: 'play.start', play: 'P', hosts: ['a'] },
  { type: 'task.result', host: 'a', play: 'P', task: 'conf', handler: false, status: 'changed', changes: [{ what: 'content', text: { path: '/etc/x', before: 'a=1\n', after: 'a=2\n' } }, { what: 'mode', before: '0644', after: '0600' }], ms: 3, check: true },
  { type: 'command', host: 'a', command: `echo ${pw.reveal()}`, code: 0, stdout: pw.reveal(), stderr: '', ms: 1, become: true },
  { type: 'recap', hosts: { a: { ok: 1, changed: 1, failed: 0, skipped: 0, unreachable: 0, ignored: 0, unknown: 0 } }, roundTrips: { a: 1 }, unfinished: [] },
  { type: 'run.end', exitCode: 0, ms: 10 },
];

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c) => chunks.push(c));
  return () => Buffer.concat(chunks).toString();
}

test('human view: plain lines, "would change" in a dry run, diffs with --diff, a recap', () => {
  const out = new PassThrough();
  const text = collect(out);
  const view = humanView({ out, diff: true, verbose: true, tty: false });
  for (const e of events) view(e);
  const s = text();
  assert.doesNotMatch(s, /\x1b\[/, 'no colour codes off a terminal');
  assert.match(s, /^DRY RUN pb\.ts on 1 host/m);
  assert.match(s, /^would change a \| conf/m);
  assert.match(s, /^ {4}-a=1$/m);
  assert.match(s, /^ {4}\+a=2$/m);
  assert.match(s, /~ mode: 0644 -> 0600/);
  assert.match(s, /^a +ok=1 changed=1 failed=0/m);
  assert.ok(!s.includes(pw.reveal()), 'the verbose command line is masked');
});

test('--json: one parseable event per line, commands only with -v, secrets masked', () => {
  const out = new PassThrough();
  const text = collect(out);
  const quiet = jsonLines(out, false);
  for (const e of events) quiet(e);
  const lines = text().trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.type), ['run.start', 'play.start', 'task.result', 'recap', 'run.end']);
  const out2 = new PassThrough();
  const text2 = collect(out2);
  const verbose = jsonLines(out2, true);
  for (const e of events) verbose(e);
  assert.ok(text2().includes('"type":"command"'));
  assert.ok(!text2().includes(pw.reveal()));
});

test('log file: every event, commands included, secrets masked', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ss-log-')), 'run.log');
  const log = logFile(path);
  for (const e of events) log.listener(e);
  await log.close();
  const text = readFileSync(path, 'utf8');
  assert.equal(text.trim().split('\n').length, events.length);
  assert.ok(text.includes('"type":"command"'));
  assert.ok(!text.includes(pw.reveal()));
});

/** Events carrying the canary in every encoding, in each place an event holds text. */
function canaryEvents(): EngineEvent[] {
  const texts = canaryTexts();
  const all = Object.values(texts).join('\n');
  return [
    { type: 'host.unreachable', host: 'a', error: `ssh said ${texts.hex}` },
    { type: 'command', host: 'a', command: `printf %s ${texts.shell}`, code: 0, stdout: all, stderr: texts.base64_1, ms: 1, become: false },
    {
      type: 'task.result', host: 'a', play: 'P', task: 'conf', handler: false, status: 'failed', ms: 1, check: false,
      changes: [
        { what: 'content', text: { path: '/etc/app.env', before: 'PASSWORD=old\n', after: `PASSWORD="${CANARY}"\n` } },
        { what: 'env', before: { url: texts.url }, after: { list: [texts.json, canary] } },
      ],
      msg: `failed: ${texts.jsonAscii} ${texts.base64url_2}`,
    },
    { type: 'message', host: 'a', text: `${texts.form} ${texts.base64_0} ${texts.base64_2} ${texts.HEX}` },
  ];
}

/** Every string in a parsed JSON value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
}

test('--json -v: the canary survives in no encoding (escaped by JSON, base64 at 3 alignments, hex, URL)', () => {
  const out = new PassThrough();
  const text = collect(out);
  const view = jsonLines(out, true);
  for (const e of canaryEvents()) view(e);
  const s = text();
  assert.ok(!leaks(s), s);
  const lines = s.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  for (const str of lines.flatMap(strings)) assert.ok(!leaks(str), str);
  assert.equal(lines[2].changes[0].text.after, 'PASSWORD="***"\n');
});

test('--json --diff: PASSWORD="pa\\ss-777" in changes[].text is masked (masking before JSON escapes it)', () => {
  const pass = secret('pa\\ss-777');
  const out = new PassThrough();
  const text = collect(out);
  jsonLines(out, false)({ type: 'task.result', host: 'a', play: 'P', task: 't', handler: false, status: 'changed', ms: 1, check: true, changes: [{ what: 'content', text: { path: '/x', before: '', after: `PASSWORD="${pass.reveal()}"` } }] });
  assert.ok(!text().includes('777'), text());
});

test('log file: the canary survives in no encoding', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ss-log-')), 'run.log');
  const log = logFile(path);
  for (const e of canaryEvents()) log.listener(e);
  await log.close();
  const text = readFileSync(path, 'utf8');
  assert.ok(!leaks(text), text);
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  for (const str of lines.flatMap(strings)) assert.ok(!leaks(str), str);
  rmSync(dirname(path), { recursive: true });
});

test('log file: created 0600; an existing 0644 log is made 0600 before anything is written to it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-log-'));
  const fresh = join(dir, 'new.log');
  const log = logFile(fresh);
  assert.equal(statSync(fresh).mode & 0o777, 0o600);
  log.listener(events[0]!);
  await log.close();
  assert.equal(statSync(fresh).mode & 0o777, 0o600);

  const old = join(dir, 'old.log');
  writeFileSync(old, 'older run\n', { mode: 0o644 });
  chmodSync(old, 0o644);
  const again = logFile(old);
  assert.equal(statSync(old).mode & 0o777, 0o600);
  assert.equal(readFileSync(old, 'utf8'), 'older run\n', 'nothing written yet');
  again.listener(events[0]!);
  await again.close();
  assert.equal(statSync(old).mode & 0o777, 0o600);
  assert.match(readFileSync(old, 'utf8'), /^older run\n\{.*"run\.start"/, 'appended to, not replaced');
  rmSync(dir, { recursive: true });
});

test('human view: a secret of several lines shows in neither the verbose command line nor a diff', () => {
  const multi = secret('first-line-of-key\nsecond-line-of-key');
  const out = new PassThrough();
  const text = collect(out);
  const view = humanView({ out, diff: true, verbose: true, tty: false });
  view({ type: 'command', host: 'a', command: `printf %s '${multi.reveal()}' > /etc/key`, code: 0, stdout: '', stderr: '', ms: 1, become: true });
  view({ type: 'task.result', host: 'a', play: 'P', task: 'key', handler: false, status: 'changed', ms: 1, check: false, changes: [{ what: 'content', text: { path: '/etc/key', before: '', after: `${multi.reveal()}\n` } }, { what: 'env', before: null, after: { k: `"${CANARY}"` } }] });
  const s = text();
  assert.ok(!s.includes('first-line-of-key') && !s.includes('second-line-of-key'), s);
  assert.ok(!leaks(s), s);
});

test('a detail message (the package preview read from apt\'s cache) only with -v; an ordinary message always', () => {
  const said: EngineEvent[] = [
    { type: 'message', host: 'a', text: 'package preview: cowsay=3 read from apt\'s cache (verified copies), not downloaded', detail: true },
    { type: 'message', host: 'a', text: 'not previewed (too large to fetch for a dry run): big' },
  ];
  for (const verbose of [false, true]) {
    const out = new PassThrough();
    const text = collect(out);
    const view = humanView({ out, diff: false, verbose, tty: false });
    for (const e of said) view(e);
    assert.equal(/read from apt's cache/.test(text()), verbose, `human view, verbose ${verbose}`);
    assert.match(text(), /not previewed/);
    const out2 = new PassThrough();
    const text2 = collect(out2);
    const json = jsonLines(out2, verbose);
    for (const e of said) json(e);
    assert.equal(text2().trim().split('\n').length, verbose ? 2 : 1, `--json, verbose ${verbose}`);
  }
});
