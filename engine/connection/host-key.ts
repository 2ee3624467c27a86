// The ssh2 hostVerifier for one connection attempt. ssh2 only learns "denied", so the verifier keeps
// the real reason (unknown, changed, revoked) for the connect code to throw instead.
import type { HostVerifier } from 'ssh2';
import { HostKeyChangedError, HostKeyRevokedError, HostKeyUnknownError } from './errors.ts';
import type { ConnectionError } from './errors.ts';
import { fingerprint, keyTypeOf } from './fingerprint.ts';
import { knownHostsName } from './known-hosts.ts';
import type { KnownHostsStore } from './known-hosts-store.ts';
import type { ConnectTarget } from './types.ts';

export interface HostKeyCheck {
  verifier: HostVerifier;
  /** Set when the verifier refused the key. */
  refusal(): ConnectionError | undefined;
}

export function hostKeyCheck(target: ConnectTarget, store: KnownHostsStore, acceptNew: boolean): HostKeyCheck {
  let refused: ConnectionError | undefined;
  const where = `${target.name} (${knownHostsName(target.address, target.port)})`;

  const verifier: HostVerifier = (key, verify) => {
    const verdict = store.check(target.address, target.port, key);
    const presented = `${keyTypeOf(key)} ${fingerprint(key)}`;
    switch (verdict.kind) {
      case 'known':
        return verify(true);
      case 'revoked':
        refused = new HostKeyRevokedError(
          target.name,
          `host key for ${where} is revoked: ${presented} is marked @revoked in ${store.path} line ${verdict.entry.line}; refusing to connect`,
        );
        return verify(false);
      case 'changed':
        refused = new HostKeyChangedError(
          target.name,
          `HOST KEY CHANGED for ${where}: it presented ${presented} but ${store.path} line ${verdict.entry.line} ` +
            `records ${verdict.entry.keyType} ${fingerprint(verdict.entry.key)}. Someone may be intercepting the connection, ` +
            `or the host was reinstalled. Refusing to connect; if the change is expected, remove line ${verdict.entry.line} ` +
            `(ssh-keygen -R '${knownHostsName(target.address, target.port)}' -f ${store.path}) and connect again.`,
        );
        return verify(false);
      case 'unknown':
        if (acceptNew) {
          store.record(target.address, target.port, key).then(
            () => verify(true),
            (err: Error) => {
              refused = new HostKeyUnknownError(target.name, `could not record host key for ${where} in ${store.path}: ${err.message}`);
              verify(false);
            },
          );
          return;
        }
        refused = new HostKeyUnknownError(
          target.name,
          `host key for ${where} is not known: it presented ${presented}` +
            (verdict.otherTypes.length ? ` (${store.path} has only ${verdict.otherTypes.join(', ')} keys for it)` : '') +
            `. Add it to ${store.path} (after checking the fingerprint, e.g. ssh-keyscan -p ${target.port} ${target.address} >> ${store.path}) ` +
            `or run with --accept-new-host-keys to record it.`,
        );
        return verify(false);
    }
  };

  return { verifier, refusal: () => refused };
}

// ssh2's default order (ed25519 is available on Node >= 12); we only reorder it.
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Host key algorithms with those of recorded keys first, so a host with several keys shows one we can
 * check (as ssh does) rather than one we would call unknown. Undefined leaves ssh2's default.
 */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): string[] | undefined {
  const wanted = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  const first = HOST_KEY_ALGORITHMS.filter((a) => wanted.includes(a));
  if (first.length === 0) return undefined;
  return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}
