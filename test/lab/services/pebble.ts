// Pebble, Let's Encrypt's test ACME server, on the bridge so certbot on the hosts gets real
// certificates. Two CAs must be trusted by the hosts: the lab CA that signs Pebble's own https
// listener (the role of Pebble's test "minica", which Debian's package does not ship), and the
// root Pebble issues under (regenerated at every Pebble start, fetched from its management API).
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { BRIDGE_ADDR, labPaths } from '../paths.ts';
import { startDaemon, stopDaemon } from '../daemon.ts';
import { run } from '../sh.ts';
import { waitForPort } from './port.ts';

export const ACME_DIRECTORY = `https://${BRIDGE_ADDR}:14000/dir`;
const dir = () => labPaths.pebbleDir;

async function ensureListenerCert(): Promise<void> {
  const d = dir();
  mkdirSync(d, { recursive: true });
  if (existsSync(join(d, 'cert.pem'))) return;
  const ssl = (...a: string[]) => run(['openssl', ...a], { cwd: d });
  await ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3650',
    '-subj', '/CN=shipshape lab CA', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  await ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=acme.lab',
    '-keyout', 'key.pem', '-out', 'cert.csr');
  writeFileSync(join(d, 'ext.cnf'), `subjectAltName=IP:${BRIDGE_ADDR},DNS:acme.lab,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n`);
  await ssl('x509', '-req', '-in', 'cert.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650',
    '-extfile', 'ext.cnf', '-out', 'cert.pem');
}

function fetchPem(path: string): Promise<string> {
  const ca = readFileSync(join(dir(), 'ca.pem'));
  return new Promise((resolve, reject) => {
    const req = request({ host: BRIDGE_ADDR, port: 15000, path, ca, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`pebble ${path}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function startPebble(): Promise<void> {
  await ensureListenerCert();
  const d = dir();
  writeFileSync(join(d, 'config.json'), JSON.stringify({
    pebble: {
      listenAddress: `${BRIDGE_ADDR}:14000`,
      managementListenAddress: `${BRIDGE_ADDR}:15000`,
      certificate: join(d, 'cert.pem'),
      privateKey: join(d, 'key.pem'),
      httpPort: 80,
      tlsPort: 443,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
    },
  }, null, 2));
  // Challenges are not validated (PEBBLE_VA_ALWAYS_VALID): hosts have no DNS names and Pebble would
  // otherwise resolve them. The resolver is pointed at the bridge address, where nothing answers,
  // so even a lookup never leaves the lab.
  // Pebble rejects 5% of nonces by default to exercise client retries; certbot 2.1 gives up on a
  // second bad nonce, which made certificate tests fail at random: the lab rejects none.
  const env = { ...process.env, PEBBLE_VA_ALWAYS_VALID: '1', PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' };
  startDaemon('pebble', ['/usr/bin/pebble', '-config', join(d, 'config.json'), '-dnsserver', `${BRIDGE_ADDR}:53`], env);
  await waitForPort(BRIDGE_ADDR, 15000, 15_000, 'pebble');
  await writeTrust();
}

/** The files every host gets (copied onto its root at first boot), as update-ca-certificates would make them. */
async function writeTrust(): Promise<void> {
  const root = await fetchPem('/roots/0');
  const inter = await fetchPem('/intermediates/0');
  writeFileSync(join(dir(), 'issuer-root.pem'), root);
  writeFileSync(join(dir(), 'issuer-intermediate.pem'), inter);
  const t = labPaths.trustDir;
  rmSync(t, { recursive: true, force: true });
  const local = join(t, 'usr/local/share/ca-certificates');
  const certs = join(t, 'etc/ssl/certs');
  mkdirSync(local, { recursive: true });
  mkdirSync(certs, { recursive: true });
  const cas: [string, string][] = [
    ['shipshape-lab-ca', readFileSync(join(dir(), 'ca.pem'), 'utf8')],
    ['shipshape-pebble-root', root],
  ];
  for (const [name, pem] of cas) {
    writeFileSync(join(local, `${name}.crt`), pem);
    symlinkSync(`/usr/local/share/ca-certificates/${name}.crt`, join(certs, `${name}.pem`));
    const hash = (await run(['openssl', 'x509', '-hash', '-noout', '-in', join(local, `${name}.crt`)])).stdout.trim();
    symlinkSync(`${name}.pem`, join(certs, `${hash}.0`));
  }
}

export const stopPebble = () => stopDaemon('pebble');
