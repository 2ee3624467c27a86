// transfer: a file from one inventory host to the task's host, through the controller (the guide's
// "scp the binaries to the VPS"). Compared by sha256 on both ends (the source's file fact is read
// on the source host, with its predictions); the engine's write streams it in chunks from the
// source and checks its size and sha256 against the source's before the rename.
import { posix } from 'node:path';
import { onHost } from '../../engine/facts/types.ts';
import { fileFact, type FileFact } from '../../engine/facts/file.ts';
import { defineModule } from '../../engine/module.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type Plan, type WriteStep } from '../../engine/plan/types.ts';
import { withoutSpecialBits } from '../../engine/run/host-stream.ts';
import { Mode, Type } from '../../engine/schema.ts';
import { attributeFacts, attributeParams, planAttributes, resolveAttributes, type Attributes } from '../shared/attributes.ts';
import { assertWritable } from '../shared/content.ts';

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
    const attrs = resolveAttributes(p, ctx);
    const same = current.exists && src.sha256 !== null && current.sha256 === src.sha256;
    const attributePlan = planAttributes(p.dest, current, attrs);
    if (same) {
      if (attributePlan.changes.length === 0) return { changes: [], steps: [] };
      return { changes: attributePlan.changes, steps: attributePlan.steps, after: predictions(predict(fileFact(p.dest), { ...current, ...attributePlan.after })) };
    }

    const change: Change = {
      what: 'content',
      before: current.exists ? (current.sha256 ? `sha256:${current.sha256}` : '(unreadable)') : '(absent)',
      after: src.sha256 ? `sha256:${src.sha256}` : `(checksum known once ${p.src} is built on ${p.from})`,
    };
    // A new file takes the source's mode (without setuid/setgid: see withoutSpecialBits) unless one
    // is given; an existing one keeps its own.
    const srcMode = src.mode === null ? null : withoutSpecialBits(src.mode);
    const newMode = attrs.mode ?? (current.exists ? current.mode : srcMode);
    const changes = [change, ...attributePlan.changes];
    if (!current.exists && !attrs.mode && srcMode !== null) changes.push({ what: 'mode', before: null, after: srcMode });
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
    // Owner:group go as a pair once either is given: keep the other half of an existing file.
    const chown = attrs.owner !== undefined || attrs.group !== undefined;
    const step: WriteStep = {
      kind: 'write',
      path: p.dest,
      source: { kind: 'host', host: p.from, path: p.src },
      ...(newMode !== null ? { mode: newMode } : {}),
      ...(chown ? { owner: attrs.owner ?? current.owner ?? undefined, group: attrs.group ?? current.group ?? undefined } : {}),
      ...(current.exists && current.sha256 ? { replaces: current.sha256 } : {}),
    };
    return { changes, steps: [step], after: predictions(predict(fileFact(p.dest), after)), msg: `${p.from}:${p.src} -> ${p.dest}` };
  },
});
