// Fact gathering reads the host's state wholesale (file contents in base64, which masking cannot
// recognise for secrets it does not know): its command event, which the log and --json -v carry,
// names the facts and the byte count, never the output. The real gather script and the real run
// core, against a local /bin/sh in place of the SSH connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, ExecOptions, ExecResult } from '../../engine/connection/types.ts';
import { fileFact } from '../../engine/facts/file.ts';
import type { InventoryHost } from '../../engine/inventory/types.ts';
import { play, task } from '../../engine/playbook/define.ts';
import { EventBus, type EngineEvent, type EventOf } from '../../engine/report/events.ts';
import { jsonLines } from '../../engine/report/json.ts';
import { logFile } from '../../engine/report/log-file.ts';
import { gatherFacts } from '../../engine/run/gather-facts.ts';
import { HostLink } from '../../engine/run/host-link.ts';
import { RunControl } from '../../engine/run/control.ts';
import { runPlayOnHost } from '../../engine/run/host-play.ts';
import { newHostState } from '../../engine/run/host-state.ts';
import { PreparedTasks } from '../../engine/run/preflight.ts';
import { readFile } from '../../modules/index.ts';
import { PassThrough } from 'node:stream';

class LocalShell implements Connection {
  readonly name = 'local';
  readonly loginKeys = [];
  readonly stats = { execs: 0, bytesSent: 0, bytesReceived: 0 };
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.stats.execs++;
    const input = typeof opts.stdin === 'string' || Buffer.isBuffer(opts.stdin) ? opts.stdin : '';
    const r = spawnSync('/bin/sh', ['-c', command], { input });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  killRunning(): void {}
  async close(): Promise<void> {}
}

const host: InventoryHost = { name: 'local', address: '127.0.0.1', port: 22, user: 'root', become: { method: 'sudo' }, groups: ['all'], vars: {} };
/** Content no Secret holds: only not logging the output keeps it out of the log. */
const CONTENT = 'DB_PASSWORD=not-known-to-the-engine-5150\n';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'ss-gather-'));
  const path = join(dir, 'app.env');
  writeFileSync(path, CONTENT, { mode: 0o600 });
  const bus = new EventBus();
  const events: EngineEvent[] = [];
  bus.on((e) => events.push(e));
  const link = new HostLink(host, new LocalShell(), bus, async () => new LocalShell());
  return { dir, path, bus, events, link };
}

function leaked(text: string): boolean {
  return text.includes('not-known-to-the-engine') || text.includes(Buffer.from(CONTENT).toString('base64').slice(4, 40));
}

test("gatherFacts: the command event names the facts and the byte count, not the facts' output", async (t) => {
  const { dir, path, events, link } = setup();
  t.after(() => rmSync(dir, { recursive: true }));
  const values = await gatherFacts(link, [fileFact(path)], false);
  assert.equal((values.get(fileFact(path).key) as { content: string }).content, CONTENT, 'the fact itself is read');
  const commands = events.filter((e): e is EventOf<'command'> => e.type === 'command');
  assert.equal(commands.length, 1);
  assert.equal(commands[0]!.command, `gather facts: ${fileFact(path).key}`);
  assert.match(commands[0]!.stdout, /^\(\d+ bytes, not logged\)$/);
  assert.ok(!leaked(JSON.stringify(commands[0])), JSON.stringify(commands[0]));
});

test('a play reading a file: neither --json -v nor the log holds its content', async (t) => {
  const { dir, path, bus, events, link } = setup();
  t.after(() => rmSync(dir, { recursive: true }));
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c) => chunks.push(c));
  bus.on(jsonLines(out, true));
  const log = logFile(join(dir, 'run.log'));
  bus.on(log.listener);
  const state = newHostState(host);
  state.link = link;
  await runPlayOnHost(
    {
      bus, check: false, play: play({ name: 'P', hosts: 'all', tasks: [task('read', readFile({ path }), { register: 'env' })] }), playIndex: 0,
      prepared: new PreparedTasks(), extraVars: {}, filter: { tags: [], skipTags: [] }, forceHandlers: false, baseDir: dir, firstHost: 'local',
      execOn: () => Promise.reject(new Error('no other hosts')), factsOn: () => Promise.reject(new Error('no other hosts')), taskTimeoutMs: 60_000, control: new RunControl(), playbookName: 'test.ts',
    },
    state,
  );
  await log.close();
  assert.equal(state.registered.env?.output.content, CONTENT, 'the task read the file');
  assert.ok(events.some((e) => e.type === 'command' && e.command.startsWith('gather facts:')), 'a gather ran');
  const json = Buffer.concat(chunks).toString();
  assert.ok(json.includes('"type":"command"'));
  assert.ok(!leaked(json), json);
  assert.ok(!leaked(readFileSync(join(dir, 'run.log'), 'utf8')));
});
