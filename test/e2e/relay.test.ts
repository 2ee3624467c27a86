// The relay guide in the guide's mode (inventory/lab.ts) end to end on fresh lab hosts (a build
// host and three relays): the dry run lists exactly what the real run changes, the second run
// changes nothing, and from outside the relays look the way the guide wants them: servers
// answering on their ports, everything else dropped, SSH for deploy's key only, services running
// as their own users, a certificate from the ACME server and the renewal in root's crontab.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertDryMatchesReal, engine, pairs } from '../integration/engine-cli.ts';
import { ensureLab, freshHosts } from '../integration/lab-fixture.ts';
import { hostAddress, labPaths } from '../lab/index.ts';
import { probe, sshLogin, sudo } from './client-probes.ts';

const RELAYS = ['relay1', 'relay2', 'relay3'];
const PLAYBOOK = 'playbooks/relay.ts';
const INVENTORY = 'inventory/lab.ts';

describe('relay.ts on fresh lab hosts', { timeout: 1_800_000 }, () => {
  let dryChanged: string[];
  let realChanged: string[];
  let realOut: Awaited<ReturnType<typeof engine>>;

  before(async () => {
    await ensureLab();
    await freshHosts('build', ...RELAYS);
  });

  test('the dry run lists exactly what the real run changes; then nothing is pending', async () => {
    const dry = await engine(['run', PLAYBOOK, '-i', INVENTORY, '--check', '--json']);
    assert.equal(dry.code, 0, dry.stdout.slice(-3000) + dry.stderr);
    dryChanged = pairs(dry, 'changed');
    realOut = await engine(['run', PLAYBOOK, '-i', INVENTORY, '--json']);
    assert.equal(realOut.code, 0, realOut.stdout.slice(-3000) + realOut.stderr);
    realChanged = pairs(realOut, 'changed');
    assertDryMatchesReal(dry, realOut);
    assert.ok(realChanged.length > 60, `a fresh fleet has plenty to change (${realChanged.length})`);
    const again = await engine(['run', PLAYBOOK, '-i', INVENTORY, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(pairs(again, 'changed'), [], 'the second run changes nothing');
    const check = await engine(['check', PLAYBOOK, '-i', INVENTORY]);
    assert.equal(check.code, 0, check.stdout.slice(-2000));
  });

  test('each relay prints the addresses read from its servers', async () => {
    for (const relay of RELAYS) {
      const msg = realOut.events.find((e) => e.type === 'message' && e.host === relay)?.text as string;
      const fp = (await sudo(relay, 'cat /var/lib/smp/fingerprint')).stdout.trim();
      assert.match(fp, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(msg.includes(`smp://${fp}@smp.${relay}.lab.test:5223`), msg);
      assert.match(msg, new RegExp(`xftp://[A-Za-z0-9_-]{43}@xfp\\.${relay}\\.lab\\.test:5353`));
    }
  });

  test('SMP and XFP answer their version probe from outside; other ports are dropped', async () => {
    for (const relay of RELAYS) {
      const address = hostAddress(relay);
      const smp = await probe(address, 5223, 'VERSION\n');
      assert.match(smp.answer ?? '', /^smp-server 2\.0\.0 [A-Za-z0-9_-]{43}$/, `${relay}:5223 ${JSON.stringify(smp)}`);
      const xfp = await probe(address, 5353, 'VERSION\n');
      assert.match(xfp.answer ?? '', /^xfp-server 2\.0\.0 [A-Za-z0-9_-]{43}$/, `${relay}:5353 ${JSON.stringify(xfp)}`);
      assert.equal((await probe(address, 22)).state, 'open');
      // Nothing listens on 9999: without the firewall the answer would be a refusal, with it silence.
      assert.equal((await probe(address, 9999)).state, 'timeout', `${relay}:9999 is dropped`);
    }
  });

  test('SSH: root and passwords are refused, deploy with its key gets in', async () => {
    for (const relay of RELAYS) {
      const root = await sshLogin(relay, 'root', ['-i', labPaths.privateKey]);
      assert.equal(root.ok, false, `${relay}: root logged in`);
      assert.match(root.stderr, /Permission denied/);
      const password = await sshLogin(relay, 'deploy', ['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive']);
      assert.equal(password.ok, false);
      assert.match(password.stderr, /Permission denied \(publickey\)/, 'the server offers public keys only');
      const deploy = await sshLogin(relay, 'deploy', ['-i', labPaths.privateKey]);
      assert.equal(deploy.ok, true, deploy.stderr);
    }
  });

  test('services run, each server as its own user', async () => {
    for (const relay of RELAYS) {
      const active = await sudo(relay, 'systemctl is-active fail2ban smp xfp');
      assert.equal(active.stdout.trim(), 'active\nactive\nactive', `${relay}: ${active.stdout}`);
      const users = await sudo(relay, 'ps -o user= -C smp-server; ps -o user= -C xfp-server');
      assert.equal(users.stdout.trim(), 'smp\nxfp');
      const jail = await sudo(relay, 'fail2ban-client status sshd');
      assert.match(jail.stdout, /Journal matches:\s+_SYSTEMD_UNIT=sshd?\.service/, 'the sshd jail reads the journal');
    }
    const coturn = await sudo('relay1', 'systemctl is-active coturn; ss -ltn');
    assert.match(coturn.stdout, /^active/);
    assert.match(coturn.stdout, /:3478\b/);
    assert.match(coturn.stdout, /:5349\b/);
    assert.equal((await sudo('relay2', 'systemctl is-active coturn')).stdout.trim() === 'active', false, 'TURN only where asked');
  });

  test('certificates from the ACME server, renewed from root\'s crontab', async () => {
    for (const relay of RELAYS) {
      const cert = await sudo(relay, `cat /etc/letsencrypt/live/${relay}/cert.pem`);
      assert.match(cert.stdout, /BEGIN CERTIFICATE/);
      const { X509Certificate } = await import('node:crypto');
      const x = new X509Certificate(cert.stdout);
      assert.match(x.issuer, /Pebble/i);
      assert.match(x.subjectAltName ?? '', new RegExp(`smp\\.${relay}\\.lab\\.test`));
      const cron = await sudo(relay, 'crontab -l');
      const line = relay === 'relay1' ? '0 3 * * * certbot renew --quiet && systemctl restart coturn' : '0 3 * * * certbot renew --quiet';
      assert.ok(cron.stdout.split('\n').includes(line), cron.stdout);
    }
    const turnCerts = await sudo('relay1', 'stat -c %U:%G:%a /etc/turnserver/certs/privkey.pem');
    assert.equal(turnCerts.stdout.trim(), 'root:turnserver:640', 'coturn can read its key');
  });
});
