// certbot on a real Debian 12 host (node6) against the lab's Pebble: a certificate for two names lands
// in /etc/letsencrypt/live/NAME/, issued by Pebble, the deploy hook ran; a second run is a no-op; a
// renewBefore longer than the certificate's lifetime forces a renewal (a new certificate, changed,
// predicted by the dry run); the ACME account key never shows in the output.
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { ACME_DIRECTORY, labPaths, sshRun } from '../../lab/index.ts';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';

const HOST = 'node6';
const NAME = `${HOST}.lab.test`;
const PLAYBOOK = 'test/fixtures/playbooks/modules/certbot.ts';
const LIVE = `/etc/letsencrypt/live/${NAME}`;

async function readCert(): Promise<X509Certificate> {
  const r = await sshRun(HOST, `cat ${LIVE}/cert.pem`, { user: 'root' });
  assert.equal(r.code, 0, r.stderr);
  return new X509Certificate(r.stdout);
}

/** Everything a run printed must be free of the ACME account's private key. */
async function assertNoAccountKey(outputs: string[]): Promise<void> {
  const r = await sshRun(HOST, 'find /etc/letsencrypt/accounts -name private_key.json -exec cat {} +', { user: 'root' });
  assert.equal(r.code, 0, r.stderr);
  const d = /"d"\s*:\s*"([^"]+)"/.exec(r.stdout)?.[1];
  assert.ok(d && d.length > 20, 'the account key has a private part to look for');
  for (const out of outputs) assert.ok(!out.includes(d), 'the account private key is not in the output');
}

describe('certbot module on a lab host', { timeout: 900_000 }, () => {
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
  });

  it('obtains a certificate from Pebble on a fresh host: predicted by the dry run, a no-op the second time', async () => {
    const cycle = await applyCycle(PLAYBOOK, { limit: HOST, extra: ['-e', `server=${ACME_DIRECTORY}`] });
    assert.deepEqual(cycle.changed, [`${HOST} certificate`, `${HOST} install certbot`]);
    const cert = await readCert();
    assert.match(cert.issuer, /Pebble/i);
    assert.deepEqual(cert.subjectAltName?.split(', ').sort(), [`DNS:${NAME}`, `DNS:www.${NAME}`]);
    for (const f of ['fullchain.pem', 'privkey.pem', 'chain.pem']) {
      assert.equal((await sshRun(HOST, `test -s ${LIVE}/${f}`, { user: 'root' })).code, 0, `${f} is there`);
    }
    assert.equal((await sshRun(HOST, 'test -e /var/tmp/certbot-deployed', { user: 'root' })).code, 0, 'the deploy hook ran');
    const conf = (await sshRun(HOST, `cat /etc/letsencrypt/renewal/${NAME}.conf`, { user: 'root' })).stdout;
    assert.match(conf, /^server = https:\/\/10\.77\.0\.1:14000\/dir$/m);
    assert.match(conf, /^renew_hook = touch \/var\/tmp\/certbot-deployed$/m);
    await assertNoAccountKey([cycle.dry.stdout, cycle.real.stdout, cycle.real.stderr, cycle.again.stdout]);
  });

  it('renewBefore longer than the lifetime renews: the dry run says so, the real run replaces the certificate', async () => {
    const old = await readCert();
    const lifetimeDays = Math.ceil((Date.parse(old.validTo) - Date.now()) / 86_400_000);
    const renewBefore = String(lifetimeDays + 10);
    const args = ['run', PLAYBOOK, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', `server=${ACME_DIRECTORY}`, '-e', `renewBefore=${renewBefore}`];
    await sshRun(HOST, 'rm -f /var/tmp/certbot-deployed', { user: 'root' });

    const dry = await engine([...args, '--check']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.deepEqual(pairs(dry, 'changed'), [`${HOST} certificate`]);
    const planned = dry.events.find((e) => e.type === 'task.result' && e.task === 'certificate');
    assert.equal(planned?.changes?.[0]?.what, 'expiry');
    assert.equal((await readCert()).serialNumber, old.serialNumber, 'the dry run changed nothing');

    const real = await engine(args);
    assert.equal(real.code, 0, real.stdout + real.stderr);
    assert.deepEqual(pairs(real, 'changed'), [`${HOST} certificate`]);
    const renewed = await readCert();
    assert.notEqual(renewed.serialNumber, old.serialNumber, 'a new certificate');
    assert.equal((await sshRun(HOST, 'test -e /var/tmp/certbot-deployed', { user: 'root' })).code, 0, 'the deploy hook ran again');

    // With the default renewBefore the renewed certificate is again left alone.
    const again = await engine(['run', PLAYBOOK, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', `server=${ACME_DIRECTORY}`]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(pairs(again, 'changed'), []);
    await assertNoAccountKey([dry.stdout, real.stdout, real.stderr]);
  });

  it('a new deploy hook on a valid certificate rewrites the renewal conf (a diff), no new certificate; certbot still reads it', async () => {
    const old = await readCert();
    const hook = 'touch /var/tmp/certbot-a, /var/tmp/certbot-b';
    const cycle = await applyCycle(PLAYBOOK, { limit: HOST, extra: ['-e', `server=${ACME_DIRECTORY}`, '-e', `hook=${hook}`] });
    assert.deepEqual(cycle.changed, [`${HOST} certificate`]);
    const change = cycle.real.events.find((e) => e.type === 'task.result' && e.task === 'certificate')?.changes?.[0];
    assert.equal(change?.what, 'renew hook');
    assert.equal(change?.after, hook);
    assert.equal((await readCert()).serialNumber, old.serialNumber, 'the same certificate');
    const conf = (await sshRun(HOST, `cat /etc/letsencrypt/renewal/${NAME}.conf`, { user: 'root' })).stdout;
    assert.match(conf, /^renew_hook = "touch \/var\/tmp\/certbot-a, \/var\/tmp\/certbot-b"$/m);
    const listed = await sshRun(HOST, `certbot certificates --cert-name ${NAME} 2>&1`, { user: 'root' });
    assert.equal(listed.code, 0, listed.stdout);
    assert.match(listed.stdout, new RegExp(`Certificate Name: ${NAME.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(listed.stdout, /parsefail|skipped/i);
  });
});
