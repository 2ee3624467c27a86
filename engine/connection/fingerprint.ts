// Public key blobs as the SSH wire carries them (string type, then type-specific fields), and their
// fingerprints in the form `ssh-keygen -l` prints, so a user can compare what we show with their tools.
import { createHash } from 'node:crypto';

/** The key type named at the start of an SSH public key blob, e.g. "ssh-ed25519". */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4) return '';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's default fingerprint: "SHA256:" + base64 of sha256(blob) without '=' padding. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}
