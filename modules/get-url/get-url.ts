// getUrl: a file downloaded from an http(s) URL, checked against a sha256. By default the controller
// downloads it (streaming) and streams the bytes to the host over the SSH connection (the host needs
// no curl or wget); `via: 'host'` has the host fetch it with curl or wget. Either way it is one of
// the engine's writes: the bytes land in a temp file beside dest, their sha256 is checked, and only
// then is the temp file renamed.
import { posix } from 'node:path';
import { defineModule, type FactReader } from '../../engine/module.ts';
import { fileFact, type FileFact } from '../../engine/facts/file.ts';
import { programFact } from './facts.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type Plan, type WriteStep } from '../../engine/plan/types.ts';
import { Choice, Type } from '../../engine/schema.ts';
import { folderFacts, newPathSite } from '../shared/new-path.ts';
import { attributeFacts, attributeParams, planAttributes, resolveAttributes, type Attributes } from '../shared/attributes.ts';

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

/** The host's own download command (via host), printing the file on stdout for the engine's write. */
export function downloadCommand(tool: 'curl' | 'wget', url: string, timeout: number): string[] {
  return tool === 'curl' ? ['curl', '-fsSL', '--max-time', String(timeout), '--', url] : ['wget', '-q', '-T', String(timeout), '-O', '-', '--', url];
}

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
  facts: (p) => [fileFact(p.dest), ...folderFacts(p.dest), ...attributeFacts(p), ...(p.via === 'host' ? [programFact('curl'), programFact('wget')] : [])],
  plan(p, ctx): Plan {
    const current = ctx.facts.get(fileFact(p.dest));
    if (current.type === 'directory') throw new PlanError(`${p.dest} is a directory: give the path of the file to write`);
    if (current.type === 'link') throw new PlanError(`${p.dest} is a symbolic link to ${current.linkTarget}: give the link's target path instead`);
    if (current.type === 'other') throw new PlanError(`${p.dest} exists and is not a regular file`);
    const attrs = resolveAttributes(p, ctx);
    const expected = p.sha256?.toLowerCase();

    const matches = current.exists && (expected === undefined || current.sha256 === expected);
    if (matches) {
      const a = planAttributes(p.dest, current, attrs);
      if (a.changes.length === 0) return { changes: [], steps: [], msg: expected === undefined ? `${p.dest} exists (no sha256 given: not compared)` : undefined };
      return { changes: a.changes, steps: a.steps, after: predictions(predict(fileFact(p.dest), { ...current, ...a.after })) };
    }

    // A new file: its folder must be there (refused in the dry run as the real run would fail), and it belongs to who writes it.
    const site = current.exists ? undefined : newPathSite(p.dest, ctx);
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

    const step: WriteStep = {
      kind: 'write',
      path: p.dest,
      source:
        p.via === 'host'
          ? { kind: 'command', argv: downloadCommand(hostTool(ctx.facts), p.url, p.timeout ?? 600) }
          : { kind: 'url', url: p.url, timeoutMs: (p.timeout ?? 600) * 1000 },
      ...(expected ? { sha256: expected } : {}),
      ...(mode !== undefined ? { mode } : {}),
      ...(owner !== undefined || group !== undefined ? { owner, group } : {}),
      ...(current.exists && current.sha256 ? { replaces: current.sha256 } : {}),
    };
    const after: FileFact = {
      exists: true,
      type: 'file',
      mode: mode ?? (current.exists ? current.mode : '0644'),
      owner: attrs.owner ?? (current.exists ? current.owner : (site?.owner ?? null)),
      group: attrs.group ?? (current.exists ? current.group : (site?.group ?? null)),
      size: null,
      sha256: expected ?? null,
      linkTarget: null,
    };
    return { changes, steps: [step], after: predictions(predict(fileFact(p.dest), after)), msg: `download ${p.url} to ${posix.normalize(p.dest)}` };
  },
});

function hostTool(facts: FactReader): 'curl' | 'wget' {
  if (facts.get(programFact('curl')).exists) return 'curl';
  if (facts.get(programFact('wget')).exists) return 'wget';
  throw new PlanError("via 'host' needs curl or wget on the host, and it has neither: install one first, or download via the controller");
}
