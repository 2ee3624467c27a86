// The lab, end to end, on real containers: strict SSH as deploy, sudo with the password, systemd
// fully running, apt through the proxy, ufw enforced between hosts and from the bridge, reboots,
// and a `down` that leaves nothing behind. Run as root: node --import tsx --test test/lab/lab.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, labStatus, sshRun, hostAddress, becomePassword, rebootHost, killHost, cutHost, healHost, resetHost, findLeftovers, labPaths } from './index.ts';
import { readFileSync, mkdirSync } from 'node:fs';
import { publishGitRepo, publishDebs, APT_REPO_LINE } from './index.ts';
import { run } from './sh.ts';

const HOSTS = ['t1', 't2', 't3'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a TCP connect from the bridge side meets: a listener, a refusal, or silence (a DROP rule). */
function probe(address: string, port: number, timeoutMs = 3000): Promise<'open' | 'refused' | 'timeout'> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    s.setTimeout(timeoutMs, () => (s.destroy(), resolve('timeout')));
    s.once('connect', () => (s.destroy(), resolve('open')));
    s.once('error', (e: NodeJS.ErrnoException) => (s.destroy(), resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'timeout')));
  });
}

/** The same question asked from inside another lab host, with bash's /dev/tcp (the image has no nc). */
async function probeFrom(from: string, address: string, port: number): Promise<'open' | 'refused' | 'timeout'> {
  const r = await sshRun(from, `timeout 3 bash -c 'exec 3<>/dev/tcp/${address}/${port}'; echo rc=$?`, { user: 'root' });
  const rc = r.stdout.match(/rc=(\d+)/)?.[1];
  return rc === '0' ? 'open' : rc === '124' ? 'timeout' : 'refused';
}

const sudo = (host: string, command: string) =>
  sshRun(host, `sudo -S -p '' ${command}`, { user: 'deploy', input: becomePassword() + '\n' });

describe('lab', { timeout: 600_000 }, () => {
  before(async () => {
    await labDown(); // a clean slate: the lab is a machine-wide singleton (bridge, addresses)
    await labUp({ hosts: HOSTS, groups: { pair: ['t2', 't3'] } });
  });
  after(async () => {
    await labDown().catch(() => {});
  });

  test('deploy logs in with strict host-key checking and sudo with the password sees systemd running', async () => {
    for (const h of HOSTS) {
      const who = await sshRun(h, 'id -un', { check: true });
      assert.equal(who.stdout.trim(), 'deploy', `${h}: login user`);
      // sudo must ask: without the password it refuses.
      const noPw = await sshRun(h, 'sudo -n true');
      assert.notEqual(noPw.code, 0, `${h}: sudo ran without a password`);
      let state = '';
      for (let i = 0; i < 60; i++) {
        state = (await sudo(h, 'systemctl is-system-running')).stdout.trim();
        if (state !== 'starting' && state !== 'initializing') break;
        await sleep(500);
      }
      if (state !== 'running') {
        const failed = (await sudo(h, 'systemctl --failed --no-legend')).stdout;
        assert.fail(`${h}: system is ${state}; failed units:\n${failed}`);
      }
    }
  });

  test('strict host-key checking is really on: an unknown key is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-kh-'));
    const emptyKnownHosts = join(dir, 'known_hosts');
    writeFileSync(emptyKnownHosts, '');
    const r = await run(
      ['ssh', '-F', 'none', '-i', labPaths.privateKey, '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${emptyKnownHosts}`,
        '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', `deploy@${hostAddress('t1')}`, 'true'],
      { allowFail: true },
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Host key verification failed/);
  });

  test('the image has no python3', async () => {
    const r = await sshRun('t1', 'command -v python3 python3.11 python || echo none');
    assert.equal(r.stdout.trim(), 'none');
  });

  test('apt works through the proxy (and installs ufw)', async () => {
    const update = await sudo('t2', 'apt-get update');
    assert.equal(update.code, 0, update.stderr);
    assert.match(update.stdout, /10\.77\.0\.1|deb\.debian\.org/);
    const install = await sudo('t2', 'env DEBIAN_FRONTEND=noninteractive apt-get install -y -q ufw');
    assert.equal(install.code, 0, install.stderr);
  });

  test('ufw on one host drops a denied port from another host and from the bridge, allows 22', async () => {
    const t2 = hostAddress('t2');
    // A listener on 5555 (systemd-socket-activate is in the image; nc is not).
    const listen = await sudo('t2', 'systemd-run --unit=lab-listen systemd-socket-activate -l 5555 --inetd -a /bin/cat');
    assert.equal(listen.code, 0, listen.stderr);
    await sleep(300);
    assert.equal(await probeFrom('t3', t2, 5555), 'open', 'listener reachable before ufw');
    assert.equal(await probe(t2, 5555), 'open', 'listener reachable from the bridge before ufw');

    const enable = await sudo('t2', "sh -c 'ufw allow 22/tcp && ufw --force enable'");
    assert.equal(enable.code, 0, enable.stderr + enable.stdout);
    assert.equal(await probeFrom('t3', t2, 5555), 'timeout', 'denied port from t3');
    assert.equal(await probe(t2, 5555), 'timeout', 'denied port from the bridge');
    assert.equal(await probeFrom('t3', t2, 22), 'open', 'allowed port from t3');
    assert.equal(await probe(t2, 22), 'open', 'allowed port from the bridge');
  });

  test("Pebble's https endpoint is trusted by the hosts' system CA store", async () => {
    const r = await sshRun(
      't1',
      "printf 'GET /dir HTTP/1.0\\r\\nHost: 10.77.0.1:14000\\r\\n\\r\\n' | openssl s_client -quiet -verify_return_error -connect 10.77.0.1:14000 2>&1",
    );
    assert.match(r.stdout, /"newOrder": "https:\/\/10\.77\.0\.1:14000\//, r.stdout);
    // The same request without the lab CA must fail, or the check above proves nothing.
    const bare = await sshRun('t1', 'openssl s_client -verify_return_error -CAfile /dev/null -no-CApath -connect 10.77.0.1:14000 </dev/null 2>&1');
    assert.doesNotMatch(bare.stdout, /Verify return code: 0 \(ok\)/);
  });

  test('certbot on a host gets a certificate from Pebble that verifies against the host trust store', async () => {
    // t2 already has python3 (ufw pulled it in); certbot comes through the proxy.
    const r = await sshRun('t2', [
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -q certbot >/dev/null',
      'certbot certonly --standalone --non-interactive --agree-tos -m admin@example.org --no-eff-email ' +
        '--server https://10.77.0.1:14000/dir -d t2.lab.example >/dev/null',
      'openssl verify -untrusted /etc/letsencrypt/live/t2.lab.example/chain.pem /etc/letsencrypt/live/t2.lab.example/cert.pem',
    ].join(' && '), { user: 'root', timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cert\.pem: OK/);
  });

  test('git daemon serves a published repo with its tag', async () => {
    const src = mkdtempSync(join(tmpdir(), 'lab-repo-'));
    writeFileSync(join(src, 'README'), 'fixture\n');
    const url = await publishGitRepo('labtest', src, { tags: ['v1.0.0'] });
    const r = await run(['git', 'ls-remote', url]);
    assert.match(r.stdout, /refs\/tags\/v1\.0\.0/);
    assert.equal(await probeFrom('t1', '10.77.0.1', 9418), 'open', 'git port from a host');
  });

  test('the local apt repo is not in sources by default and serves a published .deb when added', async () => {
    const plain = await sshRun('t3', 'grep -rs 10.77.0.1:8080 /etc/apt/ || echo absent', { user: 'root' });
    assert.equal(plain.stdout.trim(), 'absent');
    const dir = mkdtempSync(join(tmpdir(), 'lab-deb-'));
    mkdirSync(join(dir, 'pkg/DEBIAN'), { recursive: true });
    mkdirSync(join(dir, 'pkg/usr/share/lab-hello'), { recursive: true });
    writeFileSync(join(dir, 'pkg/usr/share/lab-hello/hello'), 'hello\n');
    writeFileSync(join(dir, 'pkg/DEBIAN/control'),
      'Package: lab-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: lab <lab@shipshape.invalid>\nDescription: lab test package\n');
    await run(['dpkg-deb', '--root-owner-group', '--build', join(dir, 'pkg'), join(dir, 'lab-hello_1.0_all.deb')]);
    await publishDebs([join(dir, 'lab-hello_1.0_all.deb')]);
    const r = await sshRun('t3',
      `echo '${APT_REPO_LINE}' > /etc/apt/sources.list.d/lab.list && apt-get update -q && apt-get install -y -q lab-hello && cat /usr/share/lab-hello/hello`,
      { user: 'root' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hello$/m);
  });

  test('a host rebooted by the lab comes back, freshly booted', async () => {
    await sshRun('t1', 'touch /run/lab-before-reboot', { user: 'root', check: true });
    await rebootHost('t1');
    const r = await sshRun('t1', 'test -e /run/lab-before-reboot && echo same-boot || echo new-boot', { check: true });
    assert.equal(r.stdout.trim(), 'new-boot');
  });

  test("a guest's own reboot brings it back", async () => {
    await sshRun('t3', 'touch /run/lab-before-reboot', { user: 'root', check: true });
    await sshRun('t3', 'systemctl reboot', { user: 'root' });
    let answer = '';
    for (let i = 0; i < 60 && answer !== 'new-boot'; i++) {
      await sleep(500);
      const r = await sshRun('t3', 'test -e /run/lab-before-reboot && echo same-boot || echo new-boot', { timeoutMs: 5000 });
      answer = r.stdout.trim();
    }
    assert.equal(answer, 'new-boot');
  });

  test('cut makes a host unreachable, heal brings it back without a reboot', async () => {
    await sshRun('t3', 'touch /run/lab-before-cut', { user: 'root', check: true });
    await cutHost('t3');
    assert.equal(await probe(hostAddress('t3'), 22, 2000), 'timeout');
    await healHost('t3');
    const r = await sshRun('t3', 'test -e /run/lab-before-cut && echo same-boot', { user: 'root', timeoutMs: 20_000 });
    assert.equal(r.stdout.trim(), 'same-boot');
  });

  test('kill powers a host off hard; reboot starts it again', async () => {
    await killHost('t3');
    const st = (await labStatus()).hosts.find((h) => h.name === 't3')!;
    assert.equal(st.running, false);
    assert.equal(st.processes, 0);
    assert.notEqual(await probe(hostAddress('t3'), 22, 1500), 'open');
    await rebootHost('t3');
    assert.equal((await sshRun('t3', 'echo up', { check: true })).stdout.trim(), 'up');
  });

  test('reset gives a fresh host with a new host key that known_hosts already trusts', async () => {
    const keyBefore = readFileSync(labPaths.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(hostAddress('t1') + ' '));
    await sshRun('t1', 'touch /root/lab-was-here', { user: 'root', check: true });
    await resetHost('t1');
    const keyAfter = readFileSync(labPaths.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(hostAddress('t1') + ' '));
    assert.ok(keyAfter);
    assert.notEqual(keyAfter, keyBefore);
    const r = await sshRun('t1', 'test -e /root/lab-was-here && echo old || echo fresh', { user: 'root', check: true });
    assert.equal(r.stdout.trim(), 'fresh');
  });

  test('down leaves nothing behind', async () => {
    await labDown();
    const left = await findLeftovers();
    assert.deepEqual(left.netns, [], 'network namespaces');
    assert.deepEqual(left.veths, [], 'veths');
    assert.equal(left.bridge, false, 'bridge labbr0');
    assert.deepEqual(left.mounts, [], 'mounts under the lab dir');
    assert.deepEqual(left.cgroups, [], 'cgroups');
    assert.deepEqual(left.processes, [], 'processes');
    assert.deepEqual(left.nspawnRun, [], '/run/systemd/nspawn');
    // Independent of the lab's own scan: ask the tools directly.
    assert.doesNotMatch((await run(['ip', 'netns', 'list'])).stdout, /^lab-/m);
    assert.doesNotMatch((await run(['ip', '-o', 'link', 'show'])).stdout, /labbr0|labv\d+/);
  });
});
