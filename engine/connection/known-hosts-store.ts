// known_hosts files, read once per run and shared by every connection (a cache keyed by path), with
// appends serialized per file so parallel first connections under --accept-new-host-keys neither
// interleave lines, nor record the same host twice, nor record a second, different key for a host
// (one of them an impostor's) because both saw it unknown before either wrote.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { checkHostKey, entryMatchesHost, knownHostsLine, knownHostsName, parseKnownHosts } from './known-hosts.ts';
import type { HostKeyVerdict, KnownHostEntry } from './known-hosts.ts';

export class KnownHostsStore {
  readonly path: string;
  readonly #entries: KnownHostEntry[];
  #lineCount: number;
  #endsWithNewline: boolean;
  #appending: Promise<unknown> = Promise.resolve();

  private constructor(path: string, text: string) {
    this.path = path;
    this.#entries = parseKnownHosts(text);
    this.#endsWithNewline = text === '' || text.endsWith('\n');
    this.#lineCount = text === '' ? 0 : text.split('\n').length - (this.#endsWithNewline ? 1 : 0);
  }

  /** A missing file knows no hosts; one that cannot be read, or is not a known_hosts file at all, is a KnownHostsFileError. */
  static async load(path: string): Promise<KnownHostsStore> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new KnownHostsFileError(path, undefined, `cannot be read (${code ?? (err as Error).message})`);
    }
    const wrong = notKnownHosts(text);
    if (wrong) throw new KnownHostsFileError(path, wrong.line, wrong.message);
    return new KnownHostsStore(path, text);
  }

  /** Key types recorded for the host, so the handshake can ask for one we can check. */
  knownTypes(address: string, port: number): string[] {
    const name = knownHostsName(address, port);
    return [...new Set(this.#entries.filter((e) => !e.revoked && entryMatchesHost(e, name)).map((e) => e.keyType))];
  }

  check(address: string, port: number, key: Buffer): HostKeyVerdict {
    return checkHostKey(this.#entries, knownHostsName(address, port), key);
  }

  /**
   * Appends the host's key if the host is still unknown, checked again in turn with other appends:
   * resolves to 'known' (recorded now or by a connection before), or to the refusing verdict
   * ('changed', 'revoked') when another key was recorded for the host meanwhile; then nothing is written.
   */
  record(address: string, port: number, key: Buffer): Promise<HostKeyVerdict> {
    const next = this.#appending.then(async (): Promise<HostKeyVerdict> => {
      const verdict = this.check(address, port, key);
      if (verdict.kind !== 'unknown') return verdict;
      const line = knownHostsLine(address, port, key);
      await mkdir(dirname(resolve(this.path)), { recursive: true, mode: 0o700 });
      await appendFile(this.path, (this.#endsWithNewline ? '' : '\n') + line + '\n', { mode: 0o600 });
      this.#endsWithNewline = true;
      this.#lineCount += 1;
      const entry = { ...parseKnownHosts(line)[0]!, line: this.#lineCount };
      this.#entries.push(entry);
      return { kind: 'known', entry };
    });
    this.#appending = next.catch(() => undefined); // one failed append must not block the next
    return next;
  }
}

/** A known_hosts file the engine will not use: `line` is where it stopped reading like one. */
export class KnownHostsFileError extends Error {
  override name = 'KnownHostsFileError';
  constructor(
    readonly path: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`known_hosts ${path}${line === undefined ? '' : `:${line}`}: ${reason}`);
  }
}

/**
 * OpenSSH skips a known_hosts line it cannot parse, and so does parseKnownHosts: one bad line among
 * good ones is no error. A file in which no line has the shape of an entry (`[@marker] hosts keytype
 * base64-key`: a private key, a JSON file, the wrong file named) is not a known_hosts file, and
 * checking host keys against it would refuse every host as unknown, or with --accept-new-host-keys
 * append to the wrong file: it is refused, naming its first line that is neither an entry nor a comment.
 */
export function notKnownHosts(text: string): { line: number; message: string } | undefined {
  if (text.includes('\0')) return { line: text.slice(0, text.indexOf('\0')).split('\n').length, message: 'is a binary file, not a known_hosts file' };
  let first: number | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    // An entry as the real parser reads one (its key blob of the type it says); any marker counts.
    if (parseKnownHosts(line.replace(/^@\S+\s+/, '')).length > 0) return undefined;
    first ??= i + 1;
  }
  if (first === undefined) return undefined; // empty, or comments only
  return { line: first, message: 'is not a known_hosts file: no line reads [@marker] hosts keytype base64-key' };
}

const cache = new Map<string, Promise<KnownHostsStore>>();

/** The shared store for a known_hosts path; the file is parsed on first use only. */
export function knownHostsStore(path: string): Promise<KnownHostsStore> {
  const key = resolve(path);
  let store = cache.get(key);
  if (!store) {
    store = KnownHostsStore.load(key);
    cache.set(key, store);
    store.catch(() => cache.delete(key)); // let a later call retry a read that failed
  }
  return store;
}
