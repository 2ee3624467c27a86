// Engine features on lab hosts: rolling batches that stop on failure, handlers, tags, extra vars
// from a file, jump hosts, keys from the SSH agent, and --ask-become-pass.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine, pairs, recap } from './engine-cli.ts';
import { ensureLab } from './lab-fixture.ts';
import { becomePassword, sshRun } from '../lab/index.ts';

const PB = 'test/fixtures/playbooks';
let paths: Awaited<ReturnType<typeof ensureLab>>;
let tmp: string;
const stamp = () => `s${Date.now()}`;

describe('engine features on lab hosts', { timeout: 600_000 }, () => {
  before(async () => {
    paths = await ensureLab();
    tmp = mkdtempSync(join(tmpdir(), 'ss-features-'));
  });

  test('serial 1 with maxFailPercentage 0 stops the rollout at the failing host', async () => {
    const s = stamp();
    const res = await engine(['run', `${PB}/rollout.ts`, '-i', paths.inventory, '--json', '-e', `stamp=${s}`, '-e', 'failOn=relay2']);
    assert.equal(res.code, 3, res.stdout + res.stderr);
    const batches = res.events.filter((e) => e.type === 'batch.start').map((e) => e.hosts.join(','));
    assert.deepEqual(batches, ['relay1', 'relay2'], 'the third batch never starts');
    assert.match(res.events.find((e) => e.type === 'play.end')?.stopped ?? '', /batch 2 failed/);
    const marks = await Promise.all(['relay1', 'relay2', 'relay3'].map((h) => sshRun(h, 'cat /srv/rollout-mark 2>/dev/null || echo none', { user: 'root' })));
    assert.equal(marks[0].stdout.trim(), s, 'relay1 was rolled');
    assert.equal(marks[1].stdout.trim(), s, 'relay2 was rolled, then failed its health check');
    assert.notEqual(marks[2].stdout.trim(), s, 'relay3 was not touched');
  });

  test('handlers run once each, in definition order, only when notified by a change', async () => {
    await engine(['run', `${PB}/handlers.ts`, '-i', paths.inventory, '--limit', 'relay1', '-e', 'stamp=first-run']);
    const res = await engine(['run', `${PB}/handlers.ts`, '-i', paths.inventory, '--limit', 'relay1', '--json', '-e', `stamp=${stamp()}`]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const log = await sshRun('relay1', 'cat /srv/handlers.log', { user: 'root', check: true });
    assert.equal(log.stdout, 'first\nsecond\n');
    assert.deepEqual(pairs(res, 'changed').filter((p) => p.includes('handler')), ['relay1 handler first', 'relay1 handler second']);
  });

  test('--tags and --skip-tags select tasks; extra vars come from a JSON file', async () => {
    const vars = join(tmp, 'vars.json');
    const s = stamp();
    writeFileSync(vars, JSON.stringify({ stamp: s }));
    const onlySetup = await engine(['run', `${PB}/handlers.ts`, '-i', paths.inventory, '--limit', 'relay1', '--json', '-e', `@${vars}`, '--tags', 'setup']);
    assert.deepEqual(onlySetup.events.filter((e) => e.type === 'task.result').map((e) => e.task), ['reset log']);
    const skipSetup = await engine(['run', `${PB}/handlers.ts`, '-i', paths.inventory, '--limit', 'relay1', '--json', '-e', `@${vars}`, '--skip-tags', 'setup']);
    assert.deepEqual(skipSetup.events.filter((e) => e.type === 'task.result' && !e.handler).map((e) => e.task), ['a', 'b', 'c']);
    const content = await sshRun('relay1', 'cat /srv/h-a', { user: 'root', check: true });
    assert.equal(content.stdout.trim(), s);
  });

  test('a host reached through a jump host', async () => {
    const inv = join(tmp, 'jump.yml');
    writeFileSync(inv, readFileSync(paths.inventory, 'utf8').replace(/relay1: \{ address: ([\d.]+) \}/, 'relay1: { address: $1, jump: build }'));
    const res = await engine(['run', `${PB}/handlers.ts`, '-i', inv, '--limit', 'relay1', '--json', '-e', `stamp=${stamp()}`]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    // sshd on relay1 saw the connection come from build's address, not from the bridge.
    const build = readFileSync(paths.inventory, 'utf8').match(/build: \{ address: ([\d.]+)/)![1];
    const seen = await sshRun('relay1', "journalctl -u ssh --since '-2min' --no-pager | grep 'Accepted publickey for deploy' | tail -1", { user: 'root' });
    assert.match(seen.stdout, new RegExp(`from ${build.replace(/\./g, '\\.')} `));
  });

  test('keys from the SSH agent, and --ask-become-pass reading the password from stdin', async () => {
    const agentOut = execFileSync('ssh-agent', ['-s']).toString();
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agentOut)![1];
    const pid = /SSH_AGENT_PID=(\d+);/.exec(agentOut)![1];
    try {
      execFileSync('ssh-add', [paths.privateKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const inv = join(tmp, 'agent.yml');
      writeFileSync(inv, readFileSync(paths.inventory, 'utf8').replace(/^ {2}privateKey: .*\n/m, '').replace(/^ {2}becomePassword: .*\n/m, ''));
      assert.doesNotMatch(readFileSync(inv, 'utf8'), /privateKey|becomePassword/);
      const wrong = await engine(['run', `${PB}/handlers.ts`, '-i', inv, '--limit', 'relay1', '--json', '-e', 'stamp=x', '--ask-become-pass'], { env: { SSH_AUTH_SOCK: sock }, input: 'not-the-password\n' });
      assert.equal(wrong.code, 3, wrong.stdout + wrong.stderr);
      assert.match(wrong.stdout, /incorrect|password/i);
      const right = await engine(['run', `${PB}/handlers.ts`, '-i', inv, '--limit', 'relay1', '--json', '-e', `stamp=${stamp()}`, '--ask-become-pass'], { env: { SSH_AUTH_SOCK: sock }, input: `${becomePassword()}\n` });
      assert.equal(right.code, 0, right.stdout + right.stderr);
      assert.ok(!right.stdout.includes(becomePassword()));
      assert.equal(recap(right).hosts.relay1.failed, 0);
    } finally {
      process.kill(Number(pid));
    }
  });
});
