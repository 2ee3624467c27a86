// ufw on a real Debian 12 host: the guide's firewall applied with the standard cycle, then seen
// from outside (from the lab bridge: 22 and 5223 connect, a denied port times out), and the
// lockout guard refusing a play that would cut the engine's own SSH port, the host still reachable:
// no allow at all, and firewalls that only ufw's first-match order closes (a deny of the controller's
// network before the allow, a reject of 22 under an allow policy, an allow from another network).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { hostAddress, sshRun } from '../../lab/index.ts';

const HOST = 'node4';
const PB = 'test/fixtures/playbooks/modules';
let paths: Awaited<ReturnType<typeof ensureLab>>;

/** Connects from this machine (the lab bridge) to the host: 'open', 'refused' or 'timeout'. */
function probe(port: number, timeoutMs = 3000): Promise<'open' | 'refused' | 'timeout'> {
  return new Promise((resolve) => {
    const socket = connect({ host: hostAddress(HOST), port });
    const done = (r: 'open' | 'refused' | 'timeout') => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.on('connect', () => done('open'));
    socket.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'timeout'));
  });
}

async function root(cmd: string): Promise<string> {
  return (await sshRun(HOST, cmd, { user: 'root', check: true })).stdout;
}

describe('ufw on a lab host', { timeout: 900_000 }, () => {
  before(async () => {
    paths = await ensureLab();
    await freshHosts(HOST);
    // The image does not ship ufw: installing it is setup, not what this test proves.
    await root('apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null && ufw status | head -1');
    // Listeners on an allowed port and on a port no rule allows (socket activation: no nc or python on the host).
    for (const port of [5223, 5225]) await root(`systemd-run --unit=ss-listen-${port} /usr/bin/systemd-socket-activate -l ${port} /bin/sleep infinity >/dev/null 2>&1`);
  });
  after(async () => {
    await sshRun(HOST, 'ufw --force disable; systemctl stop ss-listen-5223 ss-listen-5225', { user: 'root' }).catch(() => undefined);
  });

  test('before: ufw is installed but disabled, and every listener answers', async () => {
    assert.match(await root('grep ^ENABLED= /etc/ufw/ufw.conf'), /ENABLED=no/);
    assert.equal(await probe(5225), 'open', 'the port the firewall will deny answers before it is enabled');
  });

  test('the lockout guard refuses a play that would cut the SSH port; the host stays reachable', async () => {
    for (const check of [true, false]) {
      const res = await engine(['run', `${PB}/ufw-lockout.ts`, '-i', paths.inventory, '--limit', HOST, '--json', ...(check ? ['--check'] : [])]);
      assert.notEqual(res.code, 0, `the run must fail:\n${res.stdout}`);
      assert.deepEqual(pairs(res, 'failed'), [`${HOST} shut the door`]);
      const failed = res.events.find((e) => e.type === 'task.result' && e.status === 'failed');
      assert.match(failed?.msg ?? '', /refusing to leave ufw enabled with incoming traffic denied while no rule allows port 22\/tcp/);
    }
    assert.equal((await sshRun(HOST, 'true', { user: 'deploy' })).code, 0, 'still reachable over SSH');
    assert.match(await root('grep ^ENABLED= /etc/ufw/ufw.conf'), /ENABLED=no/, 'ufw was not enabled');
    assert.equal(await probe(22), 'open');
    // The real run's first task did add its rule (it was allowed): remove it so the cycle starts clean.
    await root('ufw delete allow in proto tcp from any to any port 5223 >/dev/null');
  });

  test('the lockout guard reads the rules as ufw does (first match, the address the host sees); refused plays leave the host as it was', async () => {
    // The controller as the host sees it: what the guard reads through sudo, and what the rules must let in.
    const seen = (await sshRun(HOST, 'echo $SSH_CONNECTION', { user: 'deploy', check: true })).stdout.split(' ')[0]!;
    const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const state = () => root('grep ^ENABLED= /etc/ufw/ufw.conf; cat /etc/default/ufw /etc/ufw/user.rules /etc/ufw/user6.rules | sha256sum; ufw status | head -1');
    const before = await state();
    assert.match(before, /ENABLED=no[\s\S]*Status: inactive/);
    const cases: Array<[string, RegExp]> = [
      ['deny-lab', new RegExp(`the rule 'deny in any traffic from 10\\.77\\.0\\.0/24' blocks new connections to port 22/tcp, the SSH port the engine is connected to ${HOST} through \\(the host sees the engine connect from ${esc(seen)}\\), and ufw applies the first rule that matches`)],
      ['reject-ssh', /the rule 'reject in 22\/tcp' blocks new connections to port 22\/tcp/],
      ['allow-elsewhere', new RegExp(`while no rule allows port 22/tcp[^]*'allow in 22/tcp from 192\\.0\\.2\\.0/24' does not match: the host sees the engine connect from ${esc(seen)}`)],
    ];
    for (const [name, why] of cases) {
      for (const check of [true, false]) {
        const res = await engine(['run', `${PB}/ufw-first-match.ts`, '-i', paths.inventory, '--limit', HOST, '--json', '-e', `case=${name}`, ...(check ? ['--check'] : [])]);
        const failed = res.events.find((e) => e.type === 'task.result' && e.task === 'first match');
        assert.equal(failed?.status, 'failed', `${name}${check ? ' --check' : ''} must be refused:\n${res.stdout}\n${res.stderr}`);
        assert.notEqual(res.code, 0);
        assert.match(failed.msg, why, name);
        assert.match(failed.msg, /lock the engine \(and you\) out/);
      }
    }
    assert.equal(await state(), before, 'ufw files and state as they were');
    assert.equal((await sshRun(HOST, 'true', { user: 'deploy' })).code, 0, 'a fresh SSH connection still works');
    assert.equal(await probe(22), 'open');
  });

  test('dry run, run, run again, check: the guide firewall', async () => {
    const cycle = await applyCycle(`${PB}/ufw.ts`, { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} firewall`, `${HOST} turn udp`], 'the delete of an absent rule changes nothing');
    const tuples = await root("grep -h '^### tuple' /etc/ufw/user.rules");
    assert.match(tuples, /^### tuple ### allow tcp 22 0\.0\.0\.0\/0 any 0\.0\.0\.0\/0 in comment=737368$/m);
    assert.match(tuples, /^### tuple ### allow tcp 5223 0\.0\.0\.0\/0 any 0\.0\.0\.0\/0 in comment=72656c6179$/m);
    assert.match(tuples, /^### tuple ### allow udp 3478,5349 0\.0\.0\.0\/0 any 10\.77\.0\.0\/24 in comment=7475726e$/m);
    assert.match(await root('grep -h POLICY= /etc/default/ufw; grep ^ENABLED= /etc/ufw/ufw.conf'), /DEFAULT_INPUT_POLICY="DROP"[\s\S]*ENABLED=yes/);
  });

  test('from outside: 22 and 5223 connect, a denied port times out (dropped)', async () => {
    assert.equal(await probe(22), 'open');
    assert.equal(await probe(5223), 'open');
    assert.equal(await probe(5225), 'timeout');
    assert.match(await root('ss -ltn'), /:5225\b/, 'the denied port is listening: the firewall drops it');
  });

  test('a drifted rule is seen and put back; a second run is quiet', async () => {
    await root('ufw delete allow in proto tcp from any to any port 5223 >/dev/null');
    assert.equal(await probe(5223), 'timeout');
    const check = await engine(['check', `${PB}/ufw.ts`, '-i', paths.inventory, '--limit', HOST]);
    assert.equal(check.code, 2, check.stdout + check.stderr);
    const fix = await engine(['run', `${PB}/ufw.ts`, '-i', paths.inventory, '--limit', HOST, '--json']);
    assert.deepEqual(pairs(fix, 'changed'), [`${HOST} firewall`]);
    assert.equal(await probe(5223), 'open');
  });
});
