// getUrl: a file downloaded from an http(s) URL, checked against a sha256. By default the controller
// downloads it (streaming) and streams the bytes to the host over the SSH connection (the host needs
// no curl or wget); `via: 'host'` has the host fetch it with curl or wget. Either way the bytes land
// in a temp file beside dest, their sha256 is checked, and only then is the temp file renamed.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { defineModule } from '../engine/module.ts';
import { fileFact, fileKey, type FileFact } from '../engine/facts/file.ts';
import { programFact } from '../engine/facts/program.ts';
import { PlanError, type Change, type LocalIO, type LocalStep, type Plan, type RunStep } from '../engine/plan/types.ts';
import { shellJoin } from '../engine/quote.ts';
import { Choice, Type } from '../engine/schema.ts';
import { attributeFacts, attributeParams, planAttributes, resolveAttributes, type Attributes } from './shared/attributes.ts';

const params = Type.Object(
  {
    url: Type.String({ pattern: '^https?://\\S+$', description: 'http:// or https:// URL of the file.' }),
    dest: Type.String({ pattern: '^/.*[^/]$', description: 'Absolute path of the file on the host (its folder must exist).' }),
    sha256: Type.Optional(
      Type.String({
        pattern: '^[0-9a-fA-F]{64}$',
        description: 'Expected sha256 of the file (hex). The download is refused unless it matches, and a dest with this sha256 is not downloaded again. Unset: a dest that exists is left as it is (compared by existence only).',
      }),
    ),
    via: Type.Optional(
      Choice(['controller', 'host'], { description: 'controller: the controller downloads and streams the bytes over SSH (the host needs no network access to the URL nor curl/wget); host: the host runs curl or wget. Default controller.' }),
    ),
    timeout: Type.Optional(Type.Integer({ minimum: 1, description: 'Seconds the download may take. Default 600.' })),
    ...attributeParams,
  },
  { additionalProperties: false },
);

interface P extends Attributes {
  url: string;
  dest: string;
  sha256?: string;
  via?: 'controller' | 'host';
  timeout?: number;
}

/**
 * A download by the host (via host): $1 is dest, $2 the expected sha256 (may be empty), $3
 * owner[:group] (may be empty), $4 mode (may be empty), $5 the tool, 'curl' or 'wget', $6 the URL,
 * $7 the timeout in seconds. Prints the sha256 it computed. Exits 3 on a mismatch, leaving dest untouched.
 */
export const RECEIVE_SCRIPT = [
  'set -e',
  'umask 077',
  'dir=$(dirname -- "$1"); base=$(basename -- "$1")',
  'tmp=$(mktemp "$dir/.$base.shipshape-XXXXXX")',
  `trap 'rm -f "$tmp"' EXIT`,
  'case $5 in',
  '  curl) curl -fsSL --max-time "$7" -o "$tmp" "$6" ;;',
  '  wget) wget -q -T "$7" -O "$tmp" "$6" ;;',
  'esac',
  'sum=$(sha256sum < "$tmp"); sum=${sum%% *}',
  'echo "sha256=$sum"',
  'if [ -n "$2" ] && [ "$sum" != "$2" ]; then echo "sha256 mismatch: expected $2, got $sum" >&2; exit 3; fi',
  'if [ -n "$3" ]; then chown -- "$3" "$tmp"; elif [ -e "$1" ]; then chown --reference="$1" -- "$tmp"; fi',
  'if [ -n "$4" ]; then chmod -- "$4" "$tmp"; elif [ -e "$1" ]; then chmod --reference="$1" -- "$tmp"; else chmod 0644 "$tmp"; fi',
  'sync "$tmp"',
  'mv -f -- "$tmp" "$1"',
  'trap - EXIT',
].join('\n');

export function receiveCommand(args: { dest: string; expected?: string; chown?: string; mode?: string; source: 'curl' | 'wget'; url: string; timeout: number }): string[] {
  return ['sh', '-c', RECEIVE_SCRIPT, 'getUrl', args.dest, args.expected ?? '', args.chown ?? '', args.mode ?? '', args.source, args.url, String(args.timeout)];
}

/** Counts and hashes what flows through. */
class HashTap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/**
 * The controller side: download with fetch, stream into the host's temp file while hashing, then
 * have the host check both sums before the rename. The host only renames when its sum equals the
 * controller's and the expected one, so a truncated or altered stream never replaces dest.
 */
function controllerDownload(p: P, chown: string | undefined, mode: string | undefined): LocalStep {
  const timeout = p.timeout ?? 600;
  return {
    kind: 'local',
    describe: `download ${p.url} on the controller and stream it to ${p.dest}`,
    async run(io: LocalIO) {
      const signal = AbortSignal.timeout(timeout * 1000);
      const res = await fetch(p.url, { signal, redirect: 'follow' });
      if (!res.ok || res.body === null) throw new Error(`GET ${p.url}: HTTP ${res.status} ${res.statusText}`);
      const expected = p.sha256?.toLowerCase();
      // Stage 1 streams into a temp file and reports its sum; the controller's own sum is known once
      // the stream has ended, so the rename waits for stage 2, which carries it.
      const tap = new HashTap();
      const body = Readable.fromWeb(res.body as never).pipe(tap);
      const stage = await io.exec(shellJoin(['sh', '-c', STAGE_SCRIPT, 'getUrl', p.dest]), { stdin: body, timeoutMs: timeout * 1000 });
      const sent = tap.hash.digest('hex');
      const out = stage.stdout.toString();
      const tmp = /^tmp=(.+)$/m.exec(out)?.[1];
      if (stage.code !== 0 || tmp === undefined) throw new Error(`streaming ${p.url} to ${p.dest} failed (exit ${stage.code}): ${stage.stderr.toString().trim()}`);
      if (expected !== undefined && sent !== expected) {
        await io.exec(shellJoin(['rm', '-f', '--', tmp]));
        throw new Error(`sha256 mismatch for ${p.url}: expected ${expected}, downloaded ${sent} (${tap.bytes} bytes); ${p.dest} is left untouched`);
      }
      const finish = await io.exec(shellJoin(['sh', '-c', FINISH_SCRIPT, 'getUrl', p.dest, tmp, sent, chown ?? '', mode ?? '']));
      if (finish.code !== 0) throw new Error(`installing ${p.dest} failed (exit ${finish.code}): ${finish.stderr.toString().trim()}`);
    },
  };
}

/** $1 dest: stdin into a new temp file beside it; prints tmp=PATH. */
export const STAGE_SCRIPT = [
  'set -e',
  'umask 077',
  'dir=$(dirname -- "$1"); base=$(basename -- "$1")',
  'tmp=$(mktemp "$dir/.$base.shipshape-XXXXXX")',
  `trap 'rm -f "$tmp"' EXIT`,
  'cat > "$tmp"',
  'trap - EXIT',
  'echo "tmp=$tmp"',
].join('\n');

/** $1 dest, $2 the staged temp file, $3 the sha256 the controller sent, $4 owner[:group], $5 mode. */
export const FINISH_SCRIPT = [
  'set -e',
  `trap 'rm -f "$2"' EXIT`,
  'sum=$(sha256sum < "$2"); sum=${sum%% *}',
  'if [ "$sum" != "$3" ]; then echo "sha256 mismatch: the controller sent $3, the host got $sum" >&2; exit 3; fi',
  'if [ -n "$4" ]; then chown -- "$4" "$2"; elif [ -e "$1" ]; then chown --reference="$1" -- "$2"; fi',
  'if [ -n "$5" ]; then chmod -- "$5" "$2"; elif [ -e "$1" ]; then chmod --reference="$1" -- "$2"; else chmod 0644 "$2"; fi',
  'sync "$2"',
  'mv -f -- "$2" "$1"',
  'trap - EXIT',
].join('\n');

export const getUrl = defineModule({
  name: 'getUrl',
  summary: 'Download a file from an http(s) URL to the host, checked against a sha256, installed atomically.',
  doc: [
    'Downloads url to dest. With sha256, a dest whose sha256 matches is left alone (only mode/owner/group',
    'are fixed), anything else is downloaded, and a download whose sha256 differs fails the task and',
    'leaves dest untouched. Without sha256, dest is compared by existence only: an existing file is',
    'never downloaded again (give a sha256 to pin the content). By default the controller downloads',
    '(streaming, nothing held in memory) and streams the bytes to the host over the SSH connection,',
    'so the host needs neither network access to the URL nor curl or wget; the bytes go to a temp',
    'file beside dest, both sides compute the sha256, and only a match is renamed over dest.',
    "`via: 'host'` runs curl (or wget) on the host instead; a host with neither is an error.",
    '',
    "  getUrl({ url: 'https://github.com/simplex-chat/simplexmq/releases/download/v6.3.0/smp-server-ubuntu-22_04-x86-64',",
    "           dest: '/usr/local/bin/smp-server', sha256: 'e3b0c442…', mode: '0755', owner: 'root' })",
  ].join('\n'),
  params,
  facts: (p) => [fileFact(p.dest), ...attributeFacts(p), ...(p.via === 'host' ? [programFact('curl'), programFact('wget')] : [])],
  plan(p, ctx): Plan {
    const current = ctx.facts.get(fileFact(p.dest));
    if (current.type === 'directory') throw new PlanError(`${p.dest} is a directory: give the path of the file to write`);
    if (current.type === 'link') throw new PlanError(`${p.dest} is a symbolic link to ${current.linkTarget}: give the link's target path instead`);
    if (current.type === 'other') throw new PlanError(`${p.dest} exists and is not a regular file`);
    const attrs = resolveAttributes(p, ctx.facts);
    const expected = p.sha256?.toLowerCase();

    const matches = current.exists && (expected === undefined || current.sha256 === expected);
    if (matches) {
      const a = planAttributes(p.dest, current, attrs);
      if (a.changes.length === 0) return { changes: [], steps: [], msg: expected === undefined ? `${p.dest} exists (no sha256 given: not compared)` : undefined };
      return { changes: a.changes, steps: a.steps, after: { [fileKey(p.dest)]: { ...current, ...a.after } satisfies FileFact } };
    }

    const changes: Change[] = [
      { what: 'content', before: current.exists ? (current.sha256 ? `sha256:${current.sha256}` : '(unreadable)') : '(absent)', after: expected ? `sha256:${expected}` : `(download of ${p.url})` },
    ];
    const mode = attrs.mode;
    if (mode !== undefined && mode !== current.mode) changes.push({ what: 'mode', before: current.mode, after: mode });
    if (attrs.owner !== undefined && attrs.owner !== current.owner) changes.push({ what: 'owner', before: current.owner, after: attrs.owner });
    if (attrs.group !== undefined && attrs.group !== current.group) changes.push({ what: 'group', before: current.group, after: attrs.group });
    // Given one of owner and group, keep the other from the old file (chown takes them together).
    const owner = attrs.owner ?? (attrs.group !== undefined && current.exists ? (current.owner ?? undefined) : undefined);
    const group = attrs.group ?? (attrs.owner !== undefined && current.exists ? (current.group ?? undefined) : undefined);
    const chown = owner !== undefined || group !== undefined ? `${owner ?? ''}${group !== undefined ? `:${group}` : ''}` : undefined;

    let step: RunStep | LocalStep;
    if (p.via === 'host') {
      const curl = ctx.facts.get(programFact('curl'));
      const wget = ctx.facts.get(programFact('wget'));
      if (!curl.exists && !wget.exists) throw new PlanError("via 'host' needs curl or wget on the host, and it has neither: install one first, or download via the controller");
      step = { kind: 'run', argv: receiveCommand({ dest: p.dest, expected, chown, mode, source: curl.exists ? 'curl' : 'wget', url: p.url, timeout: p.timeout ?? 600 }) };
    } else {
      step = controllerDownload(p, chown, mode);
    }
    const after: FileFact = {
      exists: true,
      type: 'file',
      mode: mode ?? (current.exists ? current.mode : '0644'),
      owner: attrs.owner ?? (current.exists ? current.owner : null),
      group: attrs.group ?? (current.exists ? current.group : null),
      size: null,
      sha256: expected ?? null,
      linkTarget: null,
    };
    return { changes, steps: [step], after: { [fileKey(p.dest)]: after }, msg: `download ${p.url} to ${posix.normalize(p.dest)}` };
  },
});
