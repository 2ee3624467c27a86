import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { certificateFact, confValue, NO_CERTIFICATE, parseCertificate, type CertificateFact } from './facts.ts';
import { PrepareError } from '../../engine/module.ts';
import { renderRun } from '../../engine/plan/render.ts';
import type { RunStep, WriteStep } from '../../engine/plan/types.ts';
import { certbot, LETS_ENCRYPT_DIRECTORY, withRenewHook } from './certbot.ts';
import { planWith, predicted } from '../../test/unit/modules/fake-facts.ts';

const NAME = 'relay.example.org';
const PEBBLE = 'https://10.77.0.1:14000/dir';
const DAY = 86_400_000;
const CONF = [
  'version = 2.1.0',
  `cert = /etc/letsencrypt/live/${NAME}/cert.pem`,
  '',
  '[renewalparams]',
  'key_type = ecdsa',
  'renew_hook = systemctl reload nginx',
  `server = ${PEBBLE}`,
  'authenticator = standalone',
  '',
].join('\n');

const cert = (f: Partial<CertificateFact> = {}, name = NAME): Record<string, CertificateFact> => ({
  [certificateFact(name).key]: {
    exists: true,
    domains: [NAME, `www.${NAME}`],
    notAfter: new Date(Date.now() + 80.5 * DAY).toISOString(),
    issuer: 'CN=Pebble Intermediate CA',
    keyType: 'ecdsa',
    server: PEBBLE,
    renewHook: 'systemctl reload nginx',
    conf: CONF,
    ...f,
  },
});
const none = (name = NAME) => ({ [certificateFact(name).key]: { ...NO_CERTIFICATE } });
const base = { domains: [NAME, `www.${NAME}`], server: PEBBLE, email: 'ops@example.org' };
const argv = (plan: { steps: unknown[] }) => (plan.steps[0] as RunStep).argv;

describe('certificate fact', () => {
  it('parses a PEM on the controller: names, expiry, key type; server and hook from the renewal conf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfact-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '10', '-subj', '/CN=a.test',
      '-addext', 'subjectAltName=DNS:a.test,DNS:b.test', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
    const f = parseCertificate('a.test', `==cert==\n${pem}==conf==\n${CONF}`);
    assert.deepEqual(f.domains, ['a.test', 'b.test']);
    assert.equal(f.keyType, 'ecdsa');
    const days = (Date.parse(f.notAfter!) - Date.now()) / DAY;
    assert.ok(days > 9 && days <= 10, `expires in ${days} days`);
    assert.equal(f.server, PEBBLE);
    assert.equal(f.renewHook, 'systemctl reload nginx');
    assert.equal(parseCertificate('a.test', 'absent\n').exists, false);
    assert.throws(() => parseCertificate('a.test', 'unreadable\n'), /become/);
    assert.throws(() => parseCertificate('a.test', '==cert==\nnot a pem\n'), /not a PEM/);
  });

  it('reads quoted configobj values', () => {
    assert.equal(confValue('renew_hook = "a, b"\n', 'renew_hook'), 'a, b');
    assert.equal(confValue("x = 1\n", 'renew_hook'), null);
  });
});

describe('certbot', () => {
  it('no certificate: certonly, standalone, ecdsa, the ACME server, each domain; a predicted lineage', async () => {
    const plan = await planWith(certbot, { ...base, deployHook: 'systemctl reload nginx' }, none());
    assert.deepEqual(plan.changes, [{ what: 'certificate', before: '(absent)', after: `${NAME} www.${NAME}` }]);
    assert.deepEqual(argv(plan), [
      'certbot', 'certonly', '--non-interactive', '--agree-tos', '--email', 'ops@example.org', '--no-eff-email',
      '--server', PEBBLE, '--cert-name', NAME, '--key-type', 'ecdsa', '--standalone', '-d', NAME, '-d', `www.${NAME}`,
      '--deploy-hook', 'systemctl reload nginx',
    ]);
    const after = predicted(plan, certificateFact(NAME))!;
    assert.equal(after.exists, true);
    assert.deepEqual(after.domains, [NAME, `www.${NAME}`]);
  });

  it("defaults: Let's Encrypt production, no email, certName from the first domain; webroot and rsa when asked", async () => {
    const plan = await planWith(certbot, { domains: 'a.example.org', authenticator: 'webroot', webroot: '/var/www/html', keyType: 'rsa', renewHook: 'true' }, none('a.example.org'));
    assert.deepEqual(argv(plan), [
      'certbot', 'certonly', '--non-interactive', '--agree-tos', '--register-unsafely-without-email', '--server', LETS_ENCRYPT_DIRECTORY,
      '--cert-name', 'a.example.org', '--key-type', 'rsa', '--webroot', '--webroot-path', '/var/www/html', '-d', 'a.example.org', '--renew-hook', 'true',
    ]);
    const named = await planWith(certbot, { domains: ['a.example.org'], certName: 'relay' }, none('relay'));
    assert.ok(argv(named).join(' ').includes('--cert-name relay'));
  });

  it('converged: names covered (extra names kept), same key type and server, far from expiry', async () => {
    for (const params of [base, { ...base, domains: [NAME] }, { ...base, deployHook: 'systemctl reload nginx', renewBefore: 30 }]) {
      const plan = await planWith(certbot, params, cert());
      assert.deepEqual(plan.changes, []);
      assert.deepEqual(plan.steps, []);
    }
  });

  it('renews with --force-renewal when within renewBefore days of expiry', async () => {
    const plan = await planWith(certbot, { ...base, renewBefore: 90 }, cert());
    assert.deepEqual(plan.changes.map((c) => c.what), ['expiry']);
    assert.match(String(plan.changes[0]!.after), /renewed \(expires in 80 days, renewBefore 90\)/);
    assert.equal(argv(plan).at(-1), '--force-renewal');
    const soon = await planWith(certbot, base, cert({ notAfter: new Date(Date.now() + 5 * DAY).toISOString() }));
    assert.deepEqual(soon.changes.map((c) => c.what), ['expiry']);
  });

  it('reissues for a missing name, another key type, another ACME server', async () => {
    const more = await planWith(certbot, { ...base, domains: [NAME, `www.${NAME}`, `xfp.${NAME}`] }, cert());
    assert.deepEqual(more.changes, [{ what: 'domains', before: `${NAME} www.${NAME}`, after: `${NAME} www.${NAME} xfp.${NAME}` }]);
    assert.ok(argv(more).includes('--force-renewal'));
    const rsa = await planWith(certbot, { ...base, keyType: 'rsa' }, cert());
    assert.deepEqual(rsa.changes, [{ what: 'key type', before: 'ecdsa', after: 'rsa' }]);
    const prod = await planWith(certbot, { ...base, server: undefined }, cert());
    assert.deepEqual(prod.changes, [{ what: 'acme server', before: PEBBLE, after: LETS_ENCRYPT_DIRECTORY }]);
  });

  it('a new hook on a certificate that needs no renewal: the renewal conf rewritten, shown as a diff', async () => {
    const plan = await planWith(certbot, { ...base, deployHook: 'systemctl restart coturn, nginx' }, cert());
    assert.deepEqual(plan.changes.map((c) => [c.what, c.before, c.after]), [['renew hook', 'systemctl reload nginx', 'systemctl restart coturn, nginx']]);
    const step = plan.steps[0] as WriteStep;
    assert.equal(step.kind, 'write');
    assert.equal(step.path, `/etc/letsencrypt/renewal/${NAME}.conf`);
    assert.match(String(step.content), /^renew_hook = "systemctl restart coturn, nginx"$/m);
    assert.equal(confValue(String(step.content), 'renew_hook'), 'systemctl restart coturn, nginx');
    assert.deepEqual(plan.changes[0]!.text?.before, CONF);
    assert.equal(withRenewHook('[renewalparams]\nserver = x\n', 'true'), '[renewalparams]\nrenew_hook = true\nserver = x\n');
    assert.throws(() => withRenewHook(CONF, `a "b" 'c'`), /both kinds of quotes/);
  });

  it('bad combinations are refused before any host is touched', async () => {
    const field = (e: unknown) => (e as PrepareError).field;
    await assert.rejects(planWith(certbot, { ...base, authenticator: 'webroot' }, none()), (e) => field(e) === 'webroot');
    await assert.rejects(planWith(certbot, { ...base, webroot: '/var/www' }, none()), (e) => field(e) === 'webroot');
    await assert.rejects(planWith(certbot, { ...base, deployHook: 'a', renewHook: 'b' }, none()), (e) => field(e) === 'renewHook');
    await assert.rejects(planWith(certbot, { ...base, domains: [] }, none()), (e) => field(e) === 'domains');
    await assert.rejects(planWith(certbot, { ...base, domains: ['*.example.org'] }, none()), /invalid params/);
    await assert.rejects(planWith(certbot, { ...base, server: 'http://plain' }, none()), /invalid params/);
  });

  it('hostile hook and names stay single arguments', async () => {
    const plan = await planWith(certbot, { ...base, deployHook: "touch '/tmp/x'; $(reboot)" }, none());
    assert.match(renderRun(plan.steps[0] as RunStep).body, / --deploy-hook 'touch '\\''\/tmp\/x'\\''; \$\(reboot\)'$/);
  });
});
