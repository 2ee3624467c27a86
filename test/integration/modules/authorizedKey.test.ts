// authorizedKey on a real Debian 12 host: a key pair made here, its public key added for deploy
// (beside the lab's own key) and for a user the same play creates; logins with `ssh -i` and strict
// host key checking prove it works; exclusive then removes the other key of that user only; an
// exclusive list without the engine's own login key is refused before anything is written, and so is
// a rewrite of that key's line with options that could stop the engine (command=, from=, restrict),
// while options the engine does not need (no-pty...) pass and the engine still logs in and becomes root.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCycle } from '../cycle.ts';
import { engine } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { hostAddress, labPaths, sshRun } from '../../lab/index.ts';

const HOST = 'node3';
const PB = 'test/fixtures/playbooks/modules/authorizedKey.ts';
const root = async (cmd: string) => (await sshRun(HOST, cmd, { user: 'root' })).stdout;
let dir: string;
let env: Record<string, string>;

function login(user: string, key: string): { code: number | null; out: string } {
  const r = spawnSync('ssh', ['-F', 'none', '-i', join(dir, key), '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${labPaths.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `${user}@${hostAddress(HOST)}`, 'id -un'], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout.trim() };
}

describe('authorizedKey on a lab host', { timeout: 600_000 }, () => {
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
    dir = mkdtempSync(join(tmpdir(), 'ss-ak-'));
    for (const k of ['k1', 'k2']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${k}@controller`, '-f', join(dir, k)]);
    env = { AK_KEY1: readFileSync(join(dir, 'k1.pub'), 'utf8').trim(), AK_KEY2: readFileSync(join(dir, 'k2.pub'), 'utf8').trim() };
  });

  test('before: the new keys open nothing', () => {
    assert.notEqual(login('deploy', 'k1').code, 0);
  });

  test('dry run, run, run again, check; then the key logs in as deploy and as the new user', async () => {
    const cycle = await applyCycle(PB, { limit: HOST, env });
    assert.deepEqual(cycle.changed, [`${HOST} deploy key`, `${HOST} ops keys`, `${HOST} ops user`], 'the dry run plans the keys of a user it has not created yet');
    assert.deepEqual(login('deploy', 'k1'), { code: 0, out: 'deploy' });
    assert.deepEqual(login('ops', 'k1'), { code: 0, out: 'ops' });
    assert.deepEqual(login('ops', 'k2'), { code: 0, out: 'ops' });
    assert.equal((await sshRun(HOST, 'id -un', { user: 'deploy' })).stdout, 'deploy\n', "the lab's own key still works for deploy");
    assert.equal(await root('stat -c %U:%G:%a /home/ops/.ssh /home/ops/.ssh/authorized_keys'), 'ops:ops:700\nops:ops:600\n');
    assert.equal(await root('cat /home/ops/.ssh/authorized_keys'), `${env.AK_KEY1}\n${env.AK_KEY2}\n`);
  });

  test('exclusive: only KEY2 is left for ops; deploy keeps both its keys', async () => {
    const cycle = await applyCycle(PB, { limit: HOST, env, extra: ['-e', 'only=2'] });
    assert.deepEqual(cycle.changed, [`${HOST} ops keys`]);
    assert.notEqual(login('ops', 'k1').code, 0, 'the removed key no longer logs in');
    assert.deepEqual(login('ops', 'k2'), { code: 0, out: 'ops' });
    assert.deepEqual(login('deploy', 'k1'), { code: 0, out: 'deploy' });
    assert.equal(await root('cat /home/ops/.ssh/authorized_keys'), `${env.AK_KEY2}\n`);
  });

  test("lockout guard: exclusive without the key the engine logs in with fails, dry run and real run, and the file stays", async () => {
    const labKey = readFileSync(labPaths.privateKey + '.pub', 'utf8').trim().split(/\s+/)[1]!;
    const keysBefore = await root('cat /home/deploy/.ssh/authorized_keys');
    assert.ok(keysBefore.includes(labKey), "the lab's key is deploy's login key");
    for (const mode of [['--check'], []]) {
      const r = await engine(['run', PB, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', 'lockout=1', ...mode], { env });
      assert.notEqual(r.code, 0, `${mode.join(' ') || 'real run'} must fail:\n${r.stdout}`);
      const result = r.events.find((e) => e.type === 'task.result' && e.task === 'deploy key');
      assert.equal(result?.status, 'failed');
      assert.match(result?.msg, new RegExp(`refusing to remove from /home/deploy/.ssh/authorized_keys the key the engine logs in to ${HOST} with \\(ssh-ed25519 \\.\\.\\.${labKey.slice(-12).replace(/[+/]/g, '\\$&')}\\)`));
    }
    assert.equal(await root('cat /home/deploy/.ssh/authorized_keys'), keysBefore);
    assert.equal((await sshRun(HOST, 'id -un', { user: 'deploy' })).stdout, 'deploy\n');
  });

  test('lockout guard: the login key rewritten with command=, from= or restrict is refused, dry run and real run; the file stays; a fresh login works', async () => {
    const labLine = readFileSync(labPaths.privateKey + '.pub', 'utf8').trim();
    const keysBefore = await root('cat /home/deploy/.ssh/authorized_keys');
    const cases: Array<[string, RegExp]> = [
      ['command="/usr/bin/true"', /command="\/usr\/bin\/true" runs that command instead of the engine's/],
      ['from="192.0.2.0/24"', /from="192\.0\.2\.0\/24" admits only the addresses it lists/],
      ['restrict', /restrict turns off port forwarding: hosts that use this one as their jump host become unreachable/],
    ];
    for (const [options, why] of cases) {
      for (const mode of [['--check'], []]) {
        const r = await engine(['run', PB, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', 'labline=1', '-e', 'only=2', ...mode], { env: { ...env, AK_LAB_LINE: `${options} ${labLine}` } });
        const result = r.events.find((e) => e.type === 'task.result' && e.task === 'deploy key');
        assert.equal(result?.status, 'failed', `${options} ${mode.join(' ') || 'real run'} must be refused:\n${r.stdout}\n${r.stderr}`);
        assert.notEqual(r.code, 0);
        assert.match(result?.msg, new RegExp(`refusing to write /home/deploy/.ssh/authorized_keys with options on the key the engine logs in to ${HOST} with`));
        assert.match(result?.msg, why);
        assert.match(result?.msg, /first add a second key without these options/);
      }
    }
    assert.equal(await root('cat /home/deploy/.ssh/authorized_keys'), keysBefore, 'nothing written');
    assert.equal((await sshRun(HOST, 'id -un', { user: 'deploy' })).stdout, 'deploy\n', 'a fresh SSH login as deploy with the lab key');
  });

  test('options the engine does not need pass (no-pty, no-X11-forwarding, no-agent-forwarding, no-user-rc): the engine logs in with that line again and becomes root', async () => {
    const labLine = readFileSync(labPaths.privateKey + '.pub', 'utf8').trim();
    const keysBefore = await root('cat /home/deploy/.ssh/authorized_keys');
    const options = 'no-pty,no-X11-forwarding,no-agent-forwarding,no-user-rc';
    try {
      const r = await engine(['run', PB, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', 'labline=1', '-e', 'only=2'], { env: { ...env, AK_LAB_LINE: `${options} ${labLine}` } });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(await root('cat /home/deploy/.ssh/authorized_keys'), new RegExp(`^${options} ${labLine.split(' ')[0]} `, 'm'));
      // A new engine run logs in with that line and runs its become commands: converged, nothing to do.
      const again = await engine(['run', PB, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', 'labline=1', '-e', 'only=2'], { env: { ...env, AK_LAB_LINE: `${options} ${labLine}` } });
      assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
      assert.deepEqual(again.events.filter((e) => e.type === 'task.result').map((e) => e.status), ['ok', 'ok', 'ok']);
    } finally {
      await sshRun(HOST, 'cat > /home/deploy/.ssh/authorized_keys', { user: 'root', input: keysBefore, check: true });
    }
    assert.equal(await root('cat /home/deploy/.ssh/authorized_keys'), keysBefore);
  });

  test('lockout guard with an ssh agent: its keys are the login keys', async () => {
    // The lab inventory without its privateKey line: the engine then logs in with the agent's keys.
    const inventory = join(dir, 'agent-inventory.yml');
    writeFileSync(inventory, readFileSync(labPaths.inventory, 'utf8').replace(/^\s*privateKey:.*\n/m, ''));
    const socket = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
      execFileSync('ssh-add', ['-q', labPaths.privateKey], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      const keysBefore = await root('cat /home/deploy/.ssh/authorized_keys');
      const r = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'lockout=1', '--check'], { env: { ...env, SSH_AUTH_SOCK: socket } });
      const result = r.events.find((e) => e.type === 'task.result' && e.task === 'deploy key');
      assert.equal(result?.status, 'failed', `the dry run through the agent must refuse:\n${r.stdout}\n${r.stderr}`);
      assert.match(result?.msg, /refusing to remove from \/home\/deploy\/.ssh\/authorized_keys the key the engine logs in/);
      // The same play without lockout passes through the agent: the guard is not what failed.
      const ok = await engine(['check', PB, '-i', inventory, '--limit', HOST, '-e', 'only=2'], { env: { ...env, SSH_AUTH_SOCK: socket } });
      assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
      assert.equal(await root('cat /home/deploy/.ssh/authorized_keys'), keysBefore);
    } finally {
      agent.kill();
    }
  });
});
