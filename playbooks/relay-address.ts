// The server addresses a SimpleX client pastes: SCHEME://FINGERPRINT[:PASSWORD]@HOST[:PORT], as
// simplexmq writes them (src/Simplex/Messaging/Protocol.hs, strEncodeServer; printed at init and
// start by printServiceInfo in src/Simplex/Messaging/Server/CLI.hs). FINGERPRINT is the `fingerprint`
// file: the base64url, padded, SHA-256 of the CA certificate's DER (Transport/Server.hs,
// loadFileFingerprint; CLI.hs, saveFingerprint), which the client checks against the certificate
// chain the server presents (Transport/Client.hs, validateCertificateChain). The port is left out
// when it is the protocol's default: 5223 for SMP, 443 for XFTP (Server/Main.hs and
// FileTransfer/Server/Main.hs, runServer).
import { MASK, type Secret } from '../engine/secret.ts';

export type Scheme = 'smp' | 'xftp';
const DEFAULT_PORT: Record<Scheme, number> = { smp: 5223, xftp: 443 };
export const FINGERPRINT = /^[A-Za-z0-9_-]{43}=$/;

export function serverAddress(scheme: Scheme, fingerprint: string, host: string, port: number, password?: string): string {
  const auth = password ? `:${password}` : '';
  return `${scheme}://${fingerprint}${auth}@${host}${port === DEFAULT_PORT[scheme] ? '' : `:${port}`}`;
}

/** The address as the run prints it: a password shows as *** (the full one goes only where the operator asked). */
export const shownAddress = (scheme: Scheme, fingerprint: string, host: string, port: number, password?: Secret) =>
  serverAddress(scheme, fingerprint, host, port, password ? MASK : undefined);

/** The address with its password, for the root-only addresses file. */
export const fullAddress = (scheme: Scheme, fingerprint: string, host: string, port: number, password?: Secret) =>
  serverAddress(scheme, fingerprint, host, port, password?.reveal());
