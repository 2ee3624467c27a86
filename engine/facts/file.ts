// The state of one path on a host: what it is (lstat, links are not followed), its mode, owner,
// group, size, sha256 and, for small text files, its content. One key per path, `file:PATH`, and
// one shape whoever reads it: modules that write a file predict this same shape, so a later task
// (copy then lineinfile on the same file, in a dry run too) sees the content it will find.
import { posix } from 'node:path';
import { quote } from '../quote.ts';
import { defineFact, type Fact } from './types.ts';

/** Files up to this size have their content read (base64 on the wire) and diffed. */
export const CONTENT_LIMIT = 256 * 1024;

export type FileType = 'file' | 'directory' | 'link' | 'other';

export interface FileFact {
  exists: boolean;
  type: FileType | null;
  /** Four octal digits, '0644'; null when absent or unknown (predicted for a new path). */
  mode: string | null;
  /** User name, or the numeric uid when it has no name; null when absent or unknown. */
  owner: string | null;
  group: string | null;
  size: number | null;
  /** Hex sha256 of a regular file's content; null when not a file or unreadable. */
  sha256: string | null;
  /** Where a symbolic link points (as written in the link); null otherwise. */
  linkTarget: string | null;
  /** Content of a regular file of at most CONTENT_LIMIT bytes that is valid UTF-8 without NUL bytes. */
  content?: string;
  /** Set on predicted facts whose content came from a secret: later diffs of this file must not show. */
  sensitive?: boolean;
}

export const ABSENT_FILE: FileFact = Object.freeze({
  exists: false,
  type: null,
  mode: null,
  owner: null,
  group: null,
  size: null,
  sha256: null,
  linkTarget: null,
}) as FileFact;

/** `file:PATH`, the path normalized (no `.`, `..`, doubled or trailing slashes) so spellings of one path share a key. */
export function fileKey(path: string): string {
  const normal = posix.normalize(path);
  return `file:${normal.length > 1 ? normal.replace(/\/+$/, '') : normal}`;
}

/**
 * `written:PATH`: true once an earlier task of this run plans writing new content to PATH (copy,
 * template, lineinfile predict it); never read from the host, where it is always false. A unit file
 * written this way needs a daemon-reload (the systemd module reads it). A key of its own, not a
 * field of FileFact, so that a predicted file fact still equals what fileFact reads back.
 */
export function writtenFact(path: string): Fact<boolean> {
  return defineFact<boolean>(`written:${fileKey(path).slice('file:'.length)}`, ':', () => false);
}

/**
 * Reads one path with coreutils only (stat -c, readlink, sha256sum, base64). Output is key=value
 * lines; the base64 content, when read, comes last, after a `content` line.
 */
export function fileFact(path: string): Fact<FileFact> {
  const p = quote(path);
  const script = [
    `p=${p}`,
    `if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo absent; exit 0; fi`,
    `stat -c ${quote('type=%F\nmode=%a\nowner=%U\ngroup=%G\nuid=%u\ngid=%g\nsize=%s')} -- "$p" || exit 1`,
    `if [ -L "$p" ]; then printf 'target=%s\\n' "$(readlink -- "$p")"; exit 0; fi`,
    `[ -f "$p" ] || exit 0`,
    `sum=$(sha256sum -- "$p" 2>/dev/null) && printf 'sha256=%s\\n' "\${sum%% *}"`,
    `if [ "$(stat -c %s -- "$p")" -le ${CONTENT_LIMIT} ] && [ -r "$p" ]; then echo content; base64 < "$p"; fi`,
  ].join('\n');
  return defineFact<FileFact>(fileKey(path), script, (out, code) => parseFileFact(path, out, code));
}

export function parseFileFact(path: string, out: string, code: number): FileFact {
  if (out.trim() === 'absent') return { ...ABSENT_FILE };
  if (code !== 0 && !out.includes('type=')) throw new Error(`cannot read the state of ${path} (exit ${code})`);
  const lines = out.split('\n');
  const kv = new Map<string, string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === 'content') break;
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const fact: FileFact = {
    exists: true,
    type: fileType(kv.get('type') ?? ''),
    mode: kv.has('mode') ? kv.get('mode')!.padStart(4, '0') : null,
    owner: named(kv.get('owner'), kv.get('uid')),
    group: named(kv.get('group'), kv.get('gid')),
    size: kv.has('size') ? Number(kv.get('size')) : null,
    sha256: kv.get('sha256') || null,
    linkTarget: kv.has('target') ? kv.get('target')! : null,
  };
  if (i < lines.length) {
    const text = decodeText(Buffer.from(lines.slice(i + 1).join(''), 'base64'));
    if (text !== undefined) fact.content = text;
  }
  return fact;
}

function fileType(statType: string): FileType {
  if (statType.startsWith('regular')) return 'file';
  if (statType === 'directory') return 'directory';
  if (statType === 'symbolic link') return 'link';
  return 'other';
}

/** stat prints UNKNOWN for an id without a name: keep the number then. */
function named(name: string | undefined, id: string | undefined): string | null {
  if (name === undefined) return null;
  return name === 'UNKNOWN' && id !== undefined ? id : name;
}

/** The text of a buffer, or undefined when it is not UTF-8 text (invalid sequences, NUL bytes). */
export function decodeText(buf: Buffer): string | undefined {
  if (buf.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    return undefined;
  }
}
