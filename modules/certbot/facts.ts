// A certbot certificate lineage, keyed `certbot:NAME`: the PEM of /etc/letsencrypt/live/NAME/cert.pem
// and the lineage's renewal configuration, read with cat (no openssl or certbot needed on the host,
// so it reads the same before an earlier task installs certbot) and parsed on the controller with
// node's X509Certificate: names, expiry, issuer, key type; the ACME server and renew hook from the conf.
import { X509Certificate } from 'node:crypto';
import { quote } from '../../engine/quote.ts';
import { defineFact, type Fact } from '../../engine/facts/types.ts';

export interface CertificateFact {
  exists: boolean;
  /** DNS names of the certificate (subjectAltName). */
  domains: string[];
  /** Expiry as an ISO date; null when unknown (a certificate an earlier task will obtain). */
  notAfter: string | null;
  issuer: string | null;
  keyType: 'ecdsa' | 'rsa' | 'other' | null;
  /** `server` of the renewal configuration. */
  server: string | null;
  /** `renew_hook` of the renewal configuration (what --deploy-hook/--renew-hook set). */
  renewHook: string | null;
  /** The renewal configuration's text, for a rewrite of one of its lines. */
  conf: string | null;
}

export const NO_CERTIFICATE: CertificateFact = Object.freeze({
  exists: false, domains: [], notAfter: null, issuer: null, keyType: null, server: null, renewHook: null, conf: null,
}) as CertificateFact;

export const LETSENCRYPT = '/etc/letsencrypt';

export function certificateFact(name: string): Fact<CertificateFact> {
  const script = [
    `n=${quote(name)}`,
    `live=${LETSENCRYPT}/live`,
    `if [ -d "$live" ] && [ ! -x "$live" ]; then echo unreadable; exit 0; fi`,
    `f="$live/$n/cert.pem"`,
    `[ -e "$f" ] || { echo absent; exit 0; }`,
    `[ -r "$f" ] || { echo unreadable; exit 0; }`,
    `echo ==cert==`,
    `cat -- "$f"`,
    `c=${LETSENCRYPT}/renewal/"$n".conf`,
    `[ -r "$c" ] && { echo ==conf==; cat -- "$c"; }`,
    'exit 0',
  ].join('\n');
  return defineFact<CertificateFact>(`certbot:${name}`, script, (out) => parseCertificate(name, out));
}

export function parseCertificate(name: string, out: string): CertificateFact {
  const trimmed = out.trim();
  if (trimmed === 'absent') return { ...NO_CERTIFICATE, domains: [] };
  if (trimmed === 'unreadable') throw new Error(`${LETSENCRYPT}/live is not readable: certificates need become (root)`);
  const certStart = out.indexOf('==cert==\n');
  if (certStart < 0) throw new Error(`cannot read the certificate ${name}: ${trimmed.slice(0, 200)}`);
  const confStart = out.indexOf('==conf==\n');
  const pem = out.slice(certStart + 9, confStart < 0 ? undefined : confStart);
  const conf = confStart < 0 ? null : out.slice(confStart + 9);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${LETSENCRYPT}/live/${name}/cert.pem is not a PEM certificate: ${(err as Error).message}`);
  }
  const domains = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const kt = cert.publicKey.asymmetricKeyType;
  return {
    exists: true,
    domains,
    notAfter: new Date(cert.validTo).toISOString(),
    issuer: cert.issuer.replace(/\n/g, ', '),
    keyType: kt === 'ec' ? 'ecdsa' : kt === 'rsa' ? 'rsa' : 'other',
    server: conf === null ? null : confValue(conf, 'server'),
    renewHook: conf === null ? null : confValue(conf, 'renew_hook'),
    conf,
  };
}

/** A value of certbot's renewal configuration (configobj: `key = value`, maybe quoted). */
export function confValue(conf: string, key: string): string | null {
  for (const line of conf.split('\n')) {
    const m = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || m[1] !== key) continue;
    const v = m[2]!;
    const q = /^"(.*)"$|^'(.*)'$/.exec(v);
    return q ? (q[1] ?? q[2]!) : v;
  }
  return null;
}
