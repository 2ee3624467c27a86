// transfer: a file from one inventory host to the task's host, through the controller (the guide's
// "scp the binaries to the VPS"). Compared by sha256 on both ends (the source's file fact is read
// on the source host, with its predictions), streamed in chunks, written atomically with the shape
// of the engine's WriteStep (temp file beside the target, owner and mode first, checksum checked,
// then renamed).
import { posix } from 'node:path';
import { onHost } from '../engine/facts/types.ts';
import { fileFact, fileKey, type FileFact } from '../engine/facts/file.ts';
import { defineModule } from '../engine/module.ts';
import { renderWrite } from '../engine/plan/render.ts';
import { PlanError, type Change, type LocalStep, type Plan } from '../engine/plan/types.ts';
import { quote } from '../engine/quote.ts';
import { Mode, Type } from '../engine/schema.ts';
import { attributeFacts, attributeParams, planAttributes, resolveAttributes, type Attributes } from './shared/attributes.ts';
import { assertWritable } from './shared/content.ts';
import { sourceInfo, sourceStream } from './shared/transfer-stream.ts';

const params = Type.Object(
  {
    from: Type.String({ minLength: 1, description: 'Inventory name of the host that has the file (the build host). It need not be in the play.' }),
    src: Type.String({ pattern: '^/', description: 'Absolute path of the file on the `from` host.' }),
    dest: Type.String({ pattern: '^/', description: "Absolute path of the file on the task's host. Its folder must exist." }),
    mode: Type.Optional(Mode({ description: "Octal mode, e.g. '0755'. Unset: a new file gets the mode of src, an existing one keeps its own." })),
    owner: attributeParams.owner,
    group: attributeParams.group,
  },
  { additionalProperties: false },
);

/** The shell text that checks the temp file's sha256 before the rename (renderWrite's validate, %s the temp file). */
export function checksumCheck(sha256: string): string {
  return `s=$(sha256sum < %s) && [ "\${s%% *}" = ${quote(sha256)} ] || { echo "sha256 of the received file is \${s%% *}, expected ${sha256}" >&2; false; }`;
}

export const transfer = defineModule({
  name: 'transfer',
  summary: 'Copy a file from another inventory host to this one through the controller; streamed, checked by sha256, written atomically.',
  doc: [
    "Copies `src` on the `from` host to `dest` on the task's host, through the controller: the file is",
    'streamed in 4 MiB chunks (the controller never holds it whole), written to a temp file beside dest',
    'that gets its owner and mode first, checked against the sha256 read on the source when the',
    'transfer starts, then renamed over dest. No change when dest already has the sha256 of src (only',
    'mode/owner/group are fixed then). A new dest gets the mode of src unless `mode` is given; an',
    'existing one keeps its mode and owner unless given. A src that does not exist, and that no earlier',
    'task creates, is an error; a src an earlier task of this run builds (checksum unknown in a dry',
    'run) plans a transfer.',
    '',
    "  transfer({ from: 'build', src: '/root/simplexmq/bin/smp-server', dest: '/usr/local/bin/smp-server', mode: '0755' })",
  ].join('\n'),
  params,
  // dest first: the engine dedupes facts by key, and src and dest may be the same path on two hosts.
  facts: (p) => [fileFact(p.dest), fileFact(posix.dirname(p.dest)), onHost(p.from, fileFact(p.src)), ...attributeFacts(p)],
  plan(p, ctx): Plan {
    const src = ctx.facts.get(onHost(p.from, fileFact(p.src)));
    if (!src.exists) throw new PlanError(`${p.src} does not exist on ${p.from}, and no earlier task creates it`);
    if (src.type !== 'file') throw new PlanError(`${p.src} on ${p.from} is a ${src.type === 'link' ? `symbolic link to ${src.linkTarget}: give its target path` : src.type}, not a regular file`);
    const current = ctx.facts.get(fileFact(p.dest));
    assertWritable(p.dest, current);
    const folder = ctx.facts.get(fileFact(posix.dirname(p.dest)));
    if (folder.type !== 'directory') throw new PlanError(`the folder of ${p.dest} ${folder.exists ? 'is not a directory' : 'does not exist, and no earlier task creates it'}`);
    const attrs = resolveAttributes(p, ctx.facts);
    const same = current.exists && src.sha256 !== null && current.sha256 === src.sha256;
    const attributePlan = planAttributes(p.dest, current, attrs);
    if (same) {
      if (attributePlan.changes.length === 0) return { changes: [], steps: [] };
      return { changes: attributePlan.changes, steps: attributePlan.steps, after: { [fileKey(p.dest)]: { ...current, ...attributePlan.after } } };
    }

    const change: Change = {
      what: 'content',
      before: current.exists ? (current.sha256 ? `sha256:${current.sha256}` : '(unreadable)') : '(absent)',
      after: src.sha256 ? `sha256:${src.sha256}` : `(checksum known once ${p.src} is built on ${p.from})`,
    };
    // A new file takes the source's mode unless one is given; an existing one keeps its own.
    const newMode = attrs.mode ?? (current.exists ? current.mode : src.mode);
    const changes = [change, ...attributePlan.changes];
    if (!current.exists && !attrs.mode && src.mode !== null) changes.push({ what: 'mode', before: null, after: src.mode });
    const after: FileFact = {
      exists: true,
      type: 'file',
      mode: newMode,
      owner: attrs.owner ?? (current.exists ? current.owner : null),
      group: attrs.group ?? (current.exists ? current.group : null),
      size: src.size,
      sha256: src.sha256,
      linkTarget: null,
      ...(src.content !== undefined ? { content: src.content } : {}),
      ...(src.sensitive ? { sensitive: true } : {}),
    };
    return {
      changes,
      steps: [transferStep(p, current, attrs)],
      after: { [fileKey(p.dest)]: after },
      msg: `${p.from}:${p.src} -> ${p.dest}`,
    };
  },
});

function transferStep(p: { from: string; src: string; dest: string }, current: FileFact, attrs: Attributes): LocalStep {
  return {
    kind: 'local',
    describe: `transfer ${p.from}:${p.src} to ${p.dest}`,
    async run(io) {
      const fromHost = (cmd: string) => io.execOn(p.from, cmd);
      const info = await sourceInfo(fromHost, p.src, p.from);
      // Owner:group go as a pair once either is given: keep the other half of an existing file.
      const chown = attrs.owner !== undefined || attrs.group !== undefined;
      const write = renderWrite({
        kind: 'write',
        path: p.dest,
        content: '',
        mode: attrs.mode ?? (current.exists ? undefined : info.mode),
        ...(chown ? { owner: attrs.owner ?? current.owner ?? undefined, group: attrs.group ?? current.group ?? undefined } : {}),
        validate: checksumCheck(info.sha256),
      });
      const source = sourceStream(fromHost, p.src, info.size, p.from);
      const r = await io.exec(write.command, { stdin: source.stream });
      const passed = source.result();
      if (passed.error) throw new Error(`transfer of ${p.from}:${p.src} failed: ${passed.error.message}`);
      if (r.code !== 0) throw new Error(`writing ${p.dest} failed (exit ${r.code}): ${r.stderr.toString().trim().split('\n').slice(-3).join('\n')}`);
      if (passed.sha256 !== info.sha256 || passed.bytes !== info.size) {
        throw new Error(`${p.src} changed on ${p.from} during the transfer (sha256 ${passed.sha256}, ${passed.bytes} bytes; expected ${info.sha256}, ${info.size} bytes)`);
      }
    },
  };
}
