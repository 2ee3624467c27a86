// OpenSSH known_hosts, parsed and matched without touching the disk or the network (the store reads
// the file, the verifier decides). Format: [@marker] hostpatterns keytype base64-key [comment].
// Host patterns are comma lists with * ? and !negation, `[host]:port` for ports other than 22, or a
// hashed `|1|salt|hmac` entry (HMAC-SHA1 of the name keyed by the salt) written by HashKnownHosts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { keyTypeOf } from './fingerprint.ts';

export interface KnownHostEntry {
  /** 1-based line in the file, for messages. */
  line: number;
  /** @revoked lines list keys to refuse; @cert-authority lines are skipped at parse time. */
  revoked: boolean;
  /** The host field as written (patterns or a |1| hash). */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: 'known'; entry: KnownHostEntry }
  | { kind: 'revoked'; entry: KnownHostEntry }
  /** recorded: every valid entry for the host, in file order; none equals the presented key. */
  | { kind: 'changed'; recorded: KnownHostEntry[] }
  /** No valid entry covers the host: the only verdict a key may be recorded on. */
  | { kind: 'unknown' };

/** The name OpenSSH looks a host up by: the bare address on port 22, `[address]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** One line recording `key` for the host, as `ssh` would append it (unhashed). */
export function knownHostsLine(address: string, port: number, key: Buffer): string {
  return `${knownHostsName(address, port)} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue;
    let revoked = false;
    if (fields[0]!.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') continue; // CA keys sign host certificates; we only check plain keys
      if (marker !== '@revoked') continue; // an unknown marker: OpenSSH skips the line too
      revoked = true;
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue; // malformed: ignored, as ssh does
    const key = Buffer.from(b64, 'base64');
    // The type field and the blob must agree, or the line could make a key look like another type.
    if (keyTypeOf(key) !== keyType) continue;
    entries.push({ line: i + 1, revoked, hosts, keyType, key });
  }
  return entries;
}

/** Whether the entry's host field covers `name` (as made by knownHostsName). */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) return hashedMatches(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false; // a negated match vetoes the whole line
    } else if (globMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/**
 * Decides about a presented key, as OpenSSH does: a revoked key is refused outright; a key equal to a
 * recorded one is known; any other key for a host with a recorded key has changed, whatever its type
 * (an impostor need only show a type we have not recorded, so "new type" must not mean "new host");
 * only a host with no valid entry is unknown. @revoked lines are not valid entries: a host whose only
 * lines are @revoked is unknown (OpenSSH's accept-new records it too), so `@revoked * KEY`, revoking one
 * key everywhere, does not make every other host "changed".
 */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => entryMatchesHost(e, name));
  const revoked = forHost.find((e) => e.revoked && e.key.equals(key));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const valid = forHost.filter((e) => !e.revoked);
  const same = valid.find((e) => e.key.equals(key));
  if (same) return { kind: 'known', entry: same };
  if (valid.length > 0) return { kind: 'changed', recorded: valid };
  return { kind: 'unknown' };
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt64, hash64] = field.split('|');
  if (!salt64 || !hash64) return false;
  const want = Buffer.from(hash64, 'base64');
  const got = createHmac('sha1', Buffer.from(salt64, 'base64')).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** OpenSSH host pattern: * any run, ? one character, case-insensitive, whole string. */
function globMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}
