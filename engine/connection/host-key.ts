// The ssh2 hostVerifier for one connection attempt. ssh2 only learns "denied", so the verifier keeps
// the real reason (unknown, changed, revoked) for the connect code to throw instead.
import type { HostVerifier } from 'ssh2';
import { HostKeyChangedError, HostKeyRevokedError, HostKeyUnknownError } from './errors.ts';
import type { ConnectionError } from './errors.ts';
import { fingerprint, keyTypeOf } from './fingerprint.ts';
import { knownHostsName } from './known-hosts.ts';
import type { HostKeyVerdict } from './known-hosts.ts';
import type { KnownHostsStore } from './known-hosts-store.ts';
import type { ConnectTarget } from './types.ts';

export interface HostKeyCheck {
  verifier: HostVerifier;
  /** Set when the verifier refused the key. */
  refusal(): ConnectionError | undefined;
}

export function hostKeyCheck(target: ConnectTarget, store: KnownHostsStore, acceptNew: boolean): HostKeyCheck {
  let refused: ConnectionError | undefined;
  const name = knownHostsName(target.address, target.port);
  const where = `${target.name} (${name})`;

  /** True for a known key; anything else sets the refusal. */
  const accepts = (verdict: HostKeyVerdict, key: Buffer): boolean => {
    const presented = `${keyTypeOf(key)} ${fingerprint(key)}`;
    switch (verdict.kind) {
      case 'known':
        return true;
      case 'revoked':
        refused = new HostKeyRevokedError(
          target.name,
          `host key for ${where} is revoked: ${presented} is marked @revoked in ${store.path} line ${verdict.entry.line}; refusing to connect`,
        );
        return false;
      case 'changed': {
        const lines = verdict.recorded.map((e) => e.line);
        const sameType = verdict.recorded.some((e) => e.keyType === keyTypeOf(key));
        refused = new HostKeyChangedError(
          target.name,
          `HOST KEY CHANGED for ${where}: it presented ${presented}, but ${store.path} ` +
            verdict.recorded.map((e) => `line ${e.line} records ${e.keyType} ${fingerprint(e.key)}`).join(', ') +
            (sameType ? '' : ` (no ${keyTypeOf(key)} key is recorded for it, but a host with a recorded key is never new)`) +
            `. Someone may be intercepting the connection, or the host was reinstalled. Refusing to connect, even with ` +
            `--accept-new-host-keys; if the change is expected, remove line${lines.length > 1 ? 's' : ''} ${lines.join(', ')} ` +
            `(ssh-keygen -R '${name}' -f ${store.path}) and connect again.`,
        );
        return false;
      }
      case 'unknown':
        refused = new HostKeyUnknownError(
          target.name,
          `host key for ${where} is not known: it presented ${presented}. Add it to ${store.path} (after checking the fingerprint, ` +
            `e.g. ssh-keyscan -p ${target.port} ${target.address} >> ${store.path}) or run with --accept-new-host-keys to record it.`,
        );
        return false;
    }
  };

  const verifier: HostVerifier = (key, verify) => {
    const verdict = store.check(target.address, target.port, key);
    if (verdict.kind !== 'unknown' || !acceptNew) return verify(accepts(verdict, key));
    // record() decides again, in turn with the other connections' appends: one that ran in parallel
    // may have recorded another key for this host since the check above, and then this one is changed.
    store.record(target.address, target.port, key).then(
      (recorded) => verify(accepts(recorded, key)),
      (err: Error) => {
        refused = new HostKeyUnknownError(target.name, `could not record host key for ${where} in ${store.path}: ${err.message}`);
        verify(false);
      },
    );
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
 * Host key algorithms with those of recorded keys first, so an honest host with several keys shows one
 * we recorded (as ssh does) rather than another, which checkHostKey would refuse as changed. Undefined
 * leaves ssh2's default.
 */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): string[] | undefined {
  const wanted = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  const first = HOST_KEY_ALGORITHMS.filter((a) => wanted.includes(a));
  if (first.length === 0) return undefined;
  return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}
