// What the relay tests see from outside, from the controller (the lab's bridge side), as clients
// would: TCP ports answering or dropped, SSH logins, the TLS chain a SimpleX server presents and
// the fingerprint a client checks it against, and a TURN allocation by coturn's own test client.
// Plus root shell text on a relay through deploy and sudo (relay.ts turns root SSH off).
import { execFile, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { becomePassword, hostAddress, labPaths, sshRun } from '../lab/index.ts';

const run = promisify(execFile);

/** Root shell text on a lab host, as deploy with sudo. */
export const sudo = (host: string, command: string) =>
  sshRun(host, `sudo -S -p '' sh -c '${command.replace(/'/g, `'\\''`)}'`, { user: 'deploy', input: `${becomePassword()}\n` });

/** Connects from the bridge side; with `line`, sends it and reads the first line of the answer. */
export function probe(address: string, port: number, line?: string, timeoutMs = 3000): Promise<{ state: 'open' | 'refused' | 'timeout'; answer?: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    let answer = '';
    s.setTimeout(timeoutMs, () => (s.destroy(), resolve({ state: 'timeout' })));
    s.once('error', (e: NodeJS.ErrnoException) => resolve({ state: e.code === 'ECONNREFUSED' ? 'refused' : 'timeout' }));
    s.once('connect', () => {
      if (!line) return s.destroy(), resolve({ state: 'open' });
      s.write(line);
      s.on('data', (d) => (answer += d.toString()));
      s.on('close', () => resolve({ state: 'open', answer: answer.split('\n')[0] }));
    });
  });
}

/** An OpenSSH login attempt from the controller, strict host keys, nothing interactive. */
export async function sshLogin(host: string, user: string, extra: string[]): Promise<{ ok: boolean; stderr: string }> {
  try {
    await run('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${labPaths.knownHosts}`, '-o', 'ConnectTimeout=5', ...extra, `${user}@${hostAddress(host)}`, 'true']);
    return { ok: true, stderr: '' };
  } catch (err) {
    return { ok: false, stderr: String((err as { stderr?: string }).stderr ?? err) };
  }
}

/** A SimpleX fingerprint: base64url with padding of the SHA-256 of a certificate's DER (simplexmq's loadFileFingerprint + strEncode). */
export const simplexFingerprint = (der: Buffer) => createHash('sha256').update(der).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');

export interface Presented {
  protocol: string | null;
  /** The chain as sent, leaf first (DER). */
  chain: Buffer[];
}

/** The certificate chain a TLS server presents (no trust decision: the caller checks what a client checks). */
export function tlsChain(address: string, port: number, servername?: string): Promise<Presented> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: address, port, servername, rejectUnauthorized: false, timeout: 5000 }, () => {
      const chain: Buffer[] = [];
      let c = s.getPeerCertificate(true);
      while (c?.raw && !chain.some((x) => x.equals(c.raw))) {
        chain.push(c.raw);
        c = c.issuerCertificate;
      }
      const protocol = s.getProtocol();
      s.end();
      resolve({ protocol, chain });
    });
    s.once('timeout', () => (s.destroy(), reject(new Error(`${address}:${port}: TLS handshake timed out`))));
    s.once('error', reject);
  });
}

/**
 * What a SimpleX client checks (simplexmq src/Simplex/Messaging/Transport/Client.hs,
 * validateCertificateChain; Transport/Shared.hs, chainIdCaCerts): a chain of the online certificate
 * and the CA, the CA's fingerprint equal to the address's, the online one issued and signed by it.
 * Returns the CA's fingerprint; throws naming what a client would refuse.
 */
export async function simplexIdentity(address: string, port: number): Promise<{ fingerprint: string; leafSubject: string; protocol: string | null }> {
  const { chain, protocol } = await tlsChain(address, port);
  if (chain.length !== 2) throw new Error(`${address}:${port} presents ${chain.length} certificate(s), a SimpleX server presents its online certificate and its CA`);
  const [leaf, ca] = chain.map((d) => new X509Certificate(d)) as [X509Certificate, X509Certificate];
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) throw new Error(`${address}:${port}: the online certificate is not signed by the CA presented with it`);
  if (!ca.ca) throw new Error(`${address}:${port}: the second certificate is not a CA`);
  return { fingerprint: simplexFingerprint(chain[1]!), leafSubject: leaf.subject, protocol };
}

const TURN_CLIENT_DIR = '/var/cache/shipshape-lab/turn-client';

/**
 * coturn's own test client, turnutils_uclient, taken out of Debian's coturn package on the controller
 * (not installed: the package would start a TURN server here), with the libraries the package depends on.
 */
export function turnClient(): string {
  const bin = join(TURN_CLIENT_DIR, 'usr', 'bin', 'turnutils_uclient');
  if (!existsSync(bin)) {
    const work = mkdtempSync(join(tmpdir(), 'coturn-'));
    try {
      const sh = (argv: string[]) => {
        const r = spawnSync(argv[0]!, argv.slice(1), { cwd: work, encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
        if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
        return r.stdout;
      };
      sh(['apt-get', 'download', 'coturn']);
      const deb = join(work, readdirSync(work).find((f) => f.endsWith('.deb'))!);
      const libs = sh(['dpkg-deb', '-f', deb, 'Depends']).split(',').map((d) => d.trim().split(/[\s|(]/)[0]!).filter((p) => p.startsWith('lib'));
      sh(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...libs]);
      mkdirSync(TURN_CLIENT_DIR, { recursive: true });
      sh(['dpkg-deb', '-x', deb, TURN_CLIENT_DIR]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return bin;
}

/**
 * A TURN allocation over TLS (-t -S: TCP with TLS), the server's certificate verified against `ca`
 * (-E): coturn's client allocates a relay address with the long-term credentials and sends a few
 * packets through it between two of its own sessions (-y). ok with the relayed address on success.
 * -F offers TLS 1.2 ciphers only: Debian's uclient (coturn 4.6.1) gives each session a TLS method
 * picked at random among SSLv23, TLSv1, TLSv1.1 and TLSv1.2 (src/apps/uclient/mainuclient.c,
 * startuclient.c tls_connect), and coturn with no-tlsv1/no-tlsv1_1 never answers a TLS 1.0 or 1.1
 * ClientHello, so a session hung about half the time. With these ciphers the old methods fail at
 * once and uclient tries again with another method (10 of 10 allocations on the lab, from 2 of 8).
 */
export function turnAllocate(address: string, port: number, user: string, password: string, ca: string): { ok: boolean; relayed?: string; output: string } {
  const tls12 = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384';
  const r = spawnSync(turnClient(), ['-v', '-t', '-S', '-F', tls12, '-p', String(port), '-u', user, '-w', password, '-E', ca, '-n', '2', '-m', '1', '-y', '-c', address], { encoding: 'utf8', timeout: 30_000 });
  const output = `${r.stdout}${r.stderr}`;
  const relayed = /Received relay addr: (\S+)/.exec(output)?.[1];
  return { ok: r.status === 0 && relayed !== undefined, relayed, output };
}

/** A TLS connection a browser-like client would accept: chain to `ca`, the name `servername` in the certificate. The leaf's DER. */
export function verifiedTls(address: string, port: number, servername: string, ca: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: address, port, servername, ca, rejectUnauthorized: true, timeout: 5000 }, () => {
      const leaf = s.getPeerCertificate().raw;
      s.end();
      resolve(leaf);
    });
    s.once('timeout', () => (s.destroy(), reject(new Error(`${address}:${port}: TLS handshake timed out`))));
    s.once('error', reject);
  });
}
