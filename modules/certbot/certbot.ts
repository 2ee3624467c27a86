// certbot: a certificate for a set of domains from an ACME server (Let's Encrypt by default),
// obtained with certbot's standalone server or a webroot. Idempotent on the certificate itself
// (read with cat, parsed on the controller): names, key type, ACME server and expiry.
import { defineModule, PrepareError } from '../../engine/module.ts';
import { certificateFact, LETSENCRYPT, type CertificateFact } from './facts.ts';
import { fileKey } from '../../engine/facts/file.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type Plan, type Step } from '../../engine/plan/types.ts';
import { Choice, OneOrMany, toList, Type } from '../../engine/schema.ts';

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
const DOMAIN = '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$';
const DAY = 86_400_000;

const params = Type.Object(
  {
    domains: OneOrMany(Type.String({ pattern: DOMAIN }), { description: 'The names the certificate is for (the first names the lineage unless certName is given). No wildcards: they need a DNS challenge.' }),
    certName: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][\\w.-]*$', description: 'Lineage name: the certificate lives in /etc/letsencrypt/live/NAME/. Default: the first domain.' })),
    email: Type.Optional(Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', description: 'Contact email for the ACME account. Unset: the account is registered without one.' })),
    server: Type.Optional(Type.String({ pattern: '^https://\\S+$', description: `ACME directory URL. Default: Let's Encrypt production (${LETS_ENCRYPT_DIRECTORY}).` })),
    authenticator: Type.Optional(
      Choice(['standalone', 'webroot'], { description: 'standalone: certbot answers the challenge on port 80 itself (nothing else may listen there); webroot: a running web server serves files certbot writes under webroot. Default standalone.' }),
    ),
    webroot: Type.Optional(Type.String({ pattern: '^/', description: 'Document root the web server serves for the domains (authenticator webroot).' })),
    keyType: Type.Optional(Choice(['ecdsa', 'rsa'], { description: 'Key type of the certificate. Default ecdsa.' })),
    renewBefore: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Days before expiry from which the certificate is renewed (the task then reports changed). Default 30.' }),
    ),
    deployHook: Type.Optional(
      Type.String({ minLength: 1, description: 'Shell command run after the certificate is obtained and after every renewal (certbot --deploy-hook), e.g. "systemctl reload nginx".' }),
    ),
    renewHook: Type.Optional(Type.String({ minLength: 1, description: 'Shell command run after every renewal but not the first issuance (certbot --renew-hook).' })),
  },
  { additionalProperties: false },
);

interface P {
  domains: string | string[];
  certName?: string;
  email?: string;
  server?: string;
  authenticator?: 'standalone' | 'webroot';
  webroot?: string;
  keyType?: 'ecdsa' | 'rsa';
  renewBefore?: number;
  deployHook?: string;
  renewHook?: string;
}

const nameOf = (p: P) => p.certName ?? toList(p.domains)[0]!;

export function certonlyArgv(p: P, renew: boolean): string[] {
  const domains = toList(p.domains);
  const hook = p.deployHook !== undefined ? ['--deploy-hook', p.deployHook] : p.renewHook !== undefined ? ['--renew-hook', p.renewHook] : [];
  return [
    'certbot', 'certonly', '--non-interactive', '--agree-tos',
    ...(p.email ? ['--email', p.email, '--no-eff-email'] : ['--register-unsafely-without-email']),
    '--server', p.server ?? LETS_ENCRYPT_DIRECTORY,
    '--cert-name', nameOf(p),
    '--key-type', p.keyType ?? 'ecdsa',
    ...((p.authenticator ?? 'standalone') === 'standalone' ? ['--standalone'] : ['--webroot', '--webroot-path', p.webroot!]),
    ...domains.flatMap((d) => ['-d', d]),
    ...hook,
    ...(renew ? ['--force-renewal'] : []),
  ];
}

/** A configobj value as certbot's renewal files hold it: quoted when it has , # or quotes. */
function confQuote(value: string): string {
  if (!/[,#"']|^\s|\s$/.test(value)) return value;
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  throw new PlanError('a hook holding both kinds of quotes cannot be written into certbot\'s renewal configuration: put it in a script and give its path');
}

/** The renewal configuration with renew_hook set in [renewalparams]. */
export function withRenewHook(conf: string, hook: string): string {
  const line = `renew_hook = ${confQuote(hook)}`;
  const lines = conf.split('\n');
  const at = lines.findIndex((l) => /^\s*renew_hook\s*=/.test(l));
  if (at >= 0) lines[at] = line;
  else {
    const section = lines.findIndex((l) => l.trim() === '[renewalparams]');
    if (section < 0) throw new PlanError("certbot's renewal configuration has no [renewalparams] section");
    lines.splice(section + 1, 0, line);
  }
  return lines.join('\n');
}

export const certbot = defineModule({
  name: 'certbot',
  summary: 'Obtain a certificate with certbot (standalone or webroot) and renew it when it nears expiry.',
  doc: [
    'Runs `certbot certonly` non-interactively when /etc/letsencrypt/live/NAME/ holds no certificate, or',
    "one that lacks a wanted domain, has another key type, came from another ACME server (the lineage's",
    'renewal configuration says), or expires within renewBefore days (then with --force-renewal). Names',
    'the certificate has beyond the wanted ones are kept. The certificate is read with cat and parsed on',
    'the controller, so a host without openssl or certbot reads as "no certificate" rather than failing:',
    'certbot itself must be installed by an earlier task (apt). A changed hook on a certificate that',
    "needs no renewal is written into the lineage's renewal configuration (shown as a diff). The ACME",
    'account key is never read. Needs become (the live folder is root-only).',
    '',
    "  certbot({ domains: ['smp.example.org', 'xfp.example.org'], email: 'ops@example.org', deployHook: 'systemctl restart coturn' })",
    "  certbot({ domains: 'node5.lab.test', server: 'https://10.77.0.1:14000/dir', renewBefore: 30 })",
  ].join('\n'),
  params,
  prepare(p) {
    const auth = p.authenticator ?? 'standalone';
    if (auth === 'webroot' && p.webroot === undefined) throw new PrepareError('authenticator webroot needs webroot, the folder the web server serves', 'webroot');
    if (auth !== 'webroot' && p.webroot !== undefined) throw new PrepareError('webroot is only used with authenticator webroot', 'webroot');
    if (p.deployHook !== undefined && p.renewHook !== undefined) throw new PrepareError('give at most one of deployHook and renewHook (certbot keeps one renew hook per certificate)', 'renewHook');
    if (toList(p.domains).length === 0) throw new PrepareError('domains must name at least one domain', 'domains');
  },
  facts: (p) => [certificateFact(nameOf(p))],
  plan(p, ctx): Plan {
    const name = nameOf(p);
    const fact = certificateFact(name);
    const cert = ctx.facts.get(fact);
    const domains = toList(p.domains);
    const server = p.server ?? LETS_ENCRYPT_DIRECTORY;
    const keyType = p.keyType ?? 'ecdsa';
    const hook = p.deployHook ?? p.renewHook;
    const renewBefore = p.renewBefore ?? 30;
    const obtained = (c: CertificateFact): CertificateFact => ({
      exists: true,
      domains: [...new Set([...domains, ...c.domains])],
      notAfter: null,
      issuer: null,
      keyType,
      server,
      renewHook: hook ?? c.renewHook,
      conf: null,
    });
    const invalidates = [`${fileKey(`${LETSENCRYPT}/live/${name}`)}*`, `${fileKey(`${LETSENCRYPT}/renewal/${name}.conf`)}`];

    if (!cert.exists) {
      return {
        changes: [{ what: 'certificate', before: '(absent)', after: domains.join(' ') }],
        steps: [{ kind: 'run', argv: certonlyArgv(p, false) }],
        after: predictions(predict(fact, obtained(cert))),
        invalidates,
        msg: `obtain a certificate for ${domains.join(', ')} from ${server}`,
      };
    }

    const changes: Change[] = [];
    const missing = domains.filter((d) => !cert.domains.includes(d));
    if (missing.length > 0) changes.push({ what: 'domains', before: cert.domains.join(' '), after: [...new Set([...cert.domains, ...domains])].join(' ') });
    if (cert.keyType !== keyType) changes.push({ what: 'key type', before: cert.keyType, after: keyType });
    if (cert.server !== null && cert.server !== server) changes.push({ what: 'acme server', before: cert.server, after: server });
    const daysLeft = cert.notAfter === null ? Infinity : (Date.parse(cert.notAfter) - Date.now()) / DAY;
    if (daysLeft < renewBefore) {
      changes.push({ what: 'expiry', before: cert.notAfter, after: `renewed (expires in ${Math.max(0, Math.floor(daysLeft))} days, renewBefore ${renewBefore})` });
    }
    if (changes.length > 0) {
      if (hook !== undefined && hook !== cert.renewHook) changes.push({ what: 'renew hook', before: cert.renewHook, after: hook });
      return {
        changes,
        steps: [{ kind: 'run', argv: certonlyArgv(p, true) }],
        after: predictions(predict(fact, obtained(cert))),
        invalidates,
        msg: `renew the certificate ${name}`,
      };
    }

    if (hook !== undefined && hook !== cert.renewHook) {
      const path = `${LETSENCRYPT}/renewal/${name}.conf`;
      if (cert.conf === null) throw new PlanError(`${path} is missing: the hook cannot be set without renewing (remove the lineage to start over)`);
      const conf = withRenewHook(cert.conf, hook);
      const steps: Step[] = [{ kind: 'write', path, content: conf }];
      return {
        changes: [{ what: 'renew hook', before: cert.renewHook, after: hook, text: { path, before: cert.conf, after: conf } }],
        steps,
        after: predictions(predict(fact, { ...cert, renewHook: hook, conf })),
        invalidates: [fileKey(path)],
      };
    }
    return { changes: [], steps: [], msg: `certificate ${name} covers ${domains.join(', ')} and expires ${cert.notAfter}` };
  },
});
