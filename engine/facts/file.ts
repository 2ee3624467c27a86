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

/** The path normalized (no `.`, `..`, doubled or trailing slashes), so spellings of one path are one path. */
export function normalPath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** `file:PATH`, the path normalized (see normalPath) so spellings of one path share a key. */
export function fileKey(path: string): string {
  return `file:${normalPath(path)}`;
}

/**
 * The keys of every path under the folder, the folder itself excluded: an invalidation pattern (a
 * key prefix ending in '*', see FactStore.invalidate), for a task that changes what a folder holds.
 */
export function keysUnder(folder: string): string {
  const key = fileKey(folder);
  return `${key.endsWith('/') ? key : `${key}/`}*`;
}

/**
 * ss_file_fact PATH prints what parseFileFact reads: key=value lines (lstat: links are not
 * followed), then for a regular file its sha256 and, when small, `content` and the base64 text.
 * The folder is entered with ss_cd and the file read through a descriptor checked against the name
 * (ss_pin's check), so whoever owns a folder on the way cannot have root read another file for
 * them (a link to /etc/shadow swapped in for ~/.ssh/authorized_keys would end up in a diff).
 * A refusal prints `error=WHY`. Needs PATH_LIB (the gather script puts it first).
 */
export const FILE_FACT_LIB = `ss_file_fact() (
  case $1 in /) ss_dir=/; ss_b=.;; *) ss_dir=\${1%/*}; ss_b=\${1##*/}; [ -n "$ss_dir" ] || ss_dir=/;; esac
  ss_cd "$ss_dir"; ss_rc=$?
  if [ $ss_rc = 2 ]; then echo absent; exit 0; fi
  if [ $ss_rc != 0 ]; then printf 'error=%s\\n' "\${ss_why:-cannot enter $ss_dir}"; exit 1; fi
  if [ ! -e "$ss_b" ] && [ ! -L "$ss_b" ]; then echo absent; exit 0; fi
  ss_st=$(stat --printf 'type=%F\\nmode=%a\\nowner=%U\\ngroup=%G\\nuid=%u\\ngid=%g\\nsize=%s\\nid=%d:%i' -- "$ss_b") || exit 1
  printf '%s\\n' "$ss_st"
  case $ss_st in
    'type=symbolic link'*) printf 'target=%s\\n' "$(readlink -- "$ss_b")"; exit 0;;
    'type=regular'*) ;;
    *) exit 0;;
  esac
  [ -r "$ss_b" ] || exit 0
  command exec 3<"$ss_b" || exit 0
  if [ "$(stat -L -c %d:%i /dev/fd/3)" != "\${ss_st##*id=}" ]; then printf 'error=%s\\n' "$PWD/$ss_b changed while it was read (a link swapped in?)"; exit 1; fi
  ss_sum=$(sha256sum <&3) && printf 'sha256=%s\\n' "\${ss_sum%% *}"
  ss_size=\${ss_st#*size=}; ss_size=\${ss_size%%"$ss_nl"*}
  if [ "$ss_size" -le ${CONTENT_LIMIT} ]; then echo content; base64 < /dev/fd/3; fi
)
`;

/** Reads one path (see FILE_FACT_LIB), its key normalized as fileKey's. */
export function fileFact(path: string): Fact<FileFact> {
  const key = fileKey(path);
  return defineFact<FileFact>(key, `ss_file_fact ${quote(key.slice('file:'.length))}`, (out, code) => parseFileFact(path, out, code));
}

export function parseFileFact(path: string, out: string, code: number): FileFact {
  if (out.trim() === 'absent') return { ...ABSENT_FILE };
  const refused = /^error=(.*)$/m.exec(out);
  if (refused) throw new Error(`cannot read ${path}: ${refused[1]}`);
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
