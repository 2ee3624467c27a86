// The three consumers of the event stream: the human view (plain lines off a terminal), --json
// lines and the log file, each masking secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { humanView } from '../../engine/report/human.ts';
import { jsonLines } from '../../engine/report/json.ts';
import { logFile } from '../../engine/report/log-file.ts';
import type { EngineEvent } from '../../engine/report/events.ts';
import { secret } from '../../engine/secret.ts';

const pw = secret('report-test-password-77');
const events: EngineEvent[] = [
  { type: 'run.start', playbook: 'pb.ts', inventory: 'inv.yml', check: true, hosts: ['a'] },
  { type: 'play.start', play: 'P', hosts: ['a'] },
  { type: 'task.result', host: 'a', play: 'P', task: 'conf', handler: false, status: 'changed', changes: [{ what: 'content', text: { path: '/etc/x', before: 'a=1\n', after: 'a=2\n' } }, { what: 'mode', before: '0644', after: '0600' }], ms: 3, check: true },
  { type: 'command', host: 'a', command: `echo ${pw.reveal()}`, code: 0, stdout: pw.reveal(), stderr: '', ms: 1, become: true },
  { type: 'recap', hosts: { a: { ok: 1, changed: 1, failed: 0, skipped: 0, unreachable: 0, ignored: 0 } }, roundTrips: { a: 1 } },
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
