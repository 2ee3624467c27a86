// fetch: a file from the host to the controller (host -> controller, the reverse of copy).
// Compared by sha256 (the local file is hashed on the controller in prepare, the host's is its
// file fact); the engine's fetch step (engine/run/steps/fetch.ts) streams it and writes it
// atomically on the controller, checked by sha256.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileFact } from '../../engine/facts/file.ts';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { PlanError, type Change, type FetchStep, type Plan } from '../../engine/plan/types.ts';
import { Mode, normalizeMode, Type } from '../../engine/schema.ts';
import { withoutSpecialBits } from '../../engine/run/host-stream.ts';

const params = Type.Object(
  {
    src: Type.String({ pattern: '^/', description: 'Absolute path of the file on the host.' }),
    dest: Type.String({ minLength: 1, description: "Path of the file on the controller, relative to the playbook's folder. Missing folders are created. Usually a function of the host: (ctx) => `out/${ctx.host}/smp-server.fingerprint`." }),
    mode: Type.Optional(Mode({ description: "Octal mode of the local file, e.g. '0600'. Unset: a new file gets the mode of src, an existing one keeps its own; either way without setuid, setgid and sticky bits (the content comes from the host)." })),
  },
  { additionalProperties: false },
);

/** The local file as prepare() found it. */
export interface LocalFile {
  path: string;
  exists: boolean;
  sha256: string | null;
  mode: string | null;
}

async function readLocal(path: string): Promise<LocalFile> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new PrepareError(`cannot read local ${path}: ${err.message}`, 'dest');
  });
  if (!st) return { path, exists: false, sha256: null, mode: null };
  if (!st.isFile()) throw new PrepareError(`local ${path} exists and is not a regular file`, 'dest');
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return { path, exists: true, sha256: hash.digest('hex'), mode: (st.mode & 0o7777).toString(8).padStart(4, '0') };
}

export const fetch = defineModule({
  name: 'fetch',
  summary: 'Copy a file from the host to the controller; streamed, checked by sha256, written atomically.',
  doc: [
    "Copies `src` on the host to `dest` on the controller (relative to the playbook's folder; give a",
    'different dest per host, e.g. a function of ctx.host). No change when the local file already has',
    'the sha256 of src. The file is streamed in 4 MiB chunks, written to a temp file beside dest,',
    'checked against the sha256 read on the host when the transfer starts, synced and renamed. A src',
    'that does not exist, and that no earlier task creates, is an error.',
    '',
    "  fetch({ src: '/etc/opt/simplex/fingerprint', dest: (ctx) => `out/${ctx.host}.fingerprint`, mode: '0600' })",
  ].join('\n'),
  params,
  prepare: (p, ctx) => readLocal(resolve(ctx.baseDir, p.dest)),
  facts: (p) => [fileFact(p.src)],
  plan(p, ctx, local): Plan {
    const src = ctx.facts.get(fileFact(p.src));
    if (!src.exists) throw new PlanError(`${p.src} does not exist on ${ctx.host}, and no earlier task creates it`);
    if (src.type !== 'file') throw new PlanError(`${p.src} is a ${src.type === 'link' ? `symbolic link to ${src.linkTarget}: give its target path` : src.type}, not a regular file`);
    const mode = p.mode ? normalizeMode(p.mode) : undefined;
    const same = local.exists && src.sha256 !== null && local.sha256 === src.sha256;
    const changes: Change[] = [];
    if (!same) {
      changes.push({
        what: `local file ${local.path}`,
        before: local.exists ? `sha256:${local.sha256}` : '(absent)',
        after: src.sha256 ? `sha256:${src.sha256}` : `(checksum known once ${p.src} is built)`,
      });
    }
    // Never a setuid/setgid file on the controller because a host had one (see withoutSpecialBits).
    const hostMode = local.exists ? local.mode : src.mode;
    const wantMode = mode ?? (hostMode === null ? null : withoutSpecialBits(hostMode));
    if (wantMode !== null && wantMode !== local.mode) changes.push({ what: 'local mode', before: local.mode, after: wantMode });
    if (changes.length === 0) return { changes: [], steps: [] };
    const step: FetchStep = same
      ? { kind: 'fetch', src: p.src, dest: local.path, mode: wantMode!, chmodOnly: true }
      : { kind: 'fetch', src: p.src, dest: local.path, ...(wantMode !== null ? { mode: wantMode } : {}) };
    return { changes, steps: [step], msg: `${ctx.host}:${p.src} -> ${local.path}` };
  },
});
