// Writing a whole file with known content: the part copy, template and lineinfile share. Compares
// by sha256, diffs text when both sides are small text and nothing is secret, rewrites through the
// engine's atomic WriteStep, and only chmod/chown when the content already matches.
import { createHash } from 'node:crypto';
import { PrepareError, type FactReader } from '../../engine/module.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { posix } from 'node:path';
import { CONTENT_LIMIT, decodeText, fileFact, type FileFact } from '../../engine/facts/file.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import type { Change, Plan, Step } from '../../engine/plan/types.ts';
import { Type } from '../../engine/schema.ts';
import { isSecret, secret, type Secret } from '../../engine/secret.ts';
import { planAttributes, resolveAttributes, type Attributes } from './attributes.ts';
import { siteMakingFolder, type NewPathSite } from './new-path.ts';
import type { PlanContext, PlanView } from '../../engine/module.ts';

export const writeParams = {
  validate: Type.Optional(
    Type.String({ minLength: 1, description: "Command run on the temp file before it replaces the target; %s is the temp file's path (e.g. 'sshd -t -f %s'). A failure leaves the target untouched." }),
  ),
  backup: Type.Optional(Type.Boolean({ description: 'Keep the old file as PATH.YYYYmmddHHMMSS~ before replacing it. Default false.' })),
  check: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "Command run once the file is in place, checking the whole configuration it is part of (e.g. 'sshd -t', 'nginx -t'): if it fails, the previous file is put back and the task fails. Unlike validate, it sees the file with everything it is read with (a drop-in defining the sftp Subsystem the main sshd_config defines too passes sshd -t -f alone, not sshd -t).",
    }),
  ),
};

export interface WriteOptions extends Attributes {
  validate?: string;
  backup?: boolean;
  check?: string;
}

/** New content for a file, with what the plan needs to compare and show it. */
export interface Content {
  data: string | Buffer | Secret;
  sha256: string;
  size: number;
  /** The content as text, when it is UTF-8 text. */
  text?: string;
  /** The content holds secrets: no diff text, and the predicted fact is marked sensitive. */
  sensitive: boolean;
}

export function contentOf(data: string | Buffer | Secret, sensitive = false): Content {
  const bytes = isSecret(data) ? Buffer.from(data.reveal()) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  const text = typeof data === 'string' ? data : isSecret(data) ? data.reveal() : decodeText(bytes);
  return { data, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, text, sensitive: sensitive || isSecret(data) };
}

/** Prepare-time check of `validate`: without %s the temp file could not be checked. */
export function checkValidate(validate: string | undefined): void {
  if (validate !== undefined && !validate.includes('%s')) {
    throw new PrepareError(`validate must contain %s, which stands for the temp file to check: '${validate}'`, 'validate');
  }
}

/** Fails for a path that cannot be written as a regular file. */
export function assertWritable(path: string, current: FileFact): void {
  if (current.type === 'directory') throw new PlanError(`${path} is a directory: give the path of the file to write`);
  if (current.type === 'link') throw new PlanError(`${path} is a symbolic link to ${current.linkTarget}: give the link's target path instead`);
  if (current.type === 'other') throw new PlanError(`${path} exists and is not a regular file`);
}

/**
 * The text of a file an editing module (lineinfile, blockinfile) is about to change: the current
 * file, or '' for one it may create. `plan`, to return as it is, when there is nothing to do
 * (absent wanted, no file), or when the file is one an earlier task of a dry run will make.
 */
export function editableText(path: string, current: FileFact, state: 'present' | 'absent', create: boolean | undefined): { plan: Plan } | { text: string } {
  if (!current.exists) {
    if (state === 'absent') return { plan: { changes: [], steps: [], msg: `${path} does not exist` } };
    if (!create) throw new PlanError(`${path} does not exist (and no earlier task creates it): set create to create it`);
  }
  assertWritable(path, current);
  const text = current.exists ? current.content : '';
  if (text === undefined && notWrittenYet(current)) return { plan: pendingEdit(path) };
  if (text === undefined) throw new PlanError(`cannot edit ${path}: it is larger than 256 KiB, not UTF-8 text, or unreadable`);
  return { text };
}

/**
 * A file a command of this dry run will make (`creates`, `produces`: predicted to exist, nothing
 * else known). A file read from a host always has its size and mode; only such a guess has neither.
 */
export function notWrittenYet(f: FileFact): boolean {
  return f.exists && f.type === 'file' && f.sha256 === null && f.size === null && f.mode === null;
}

/**
 * The edit of a file that does not exist yet, in a dry run: a change whose text is known only once
 * the file is there. A real run reads the file again after the task that made it (its guesses are
 * dropped), so it edits the real text; the step below only refuses, should it ever be reached.
 */
function pendingEdit(path: string): Plan {
  return {
    changes: [{ what: 'content', before: '(not written yet)', after: '(edited once an earlier task has made it)' }],
    steps: [{ kind: 'run', argv: ['sh', '-c', 'echo "$1 was not read before editing it" >&2; exit 1', 'edit', path] }],
    msg: `${path} is made by an earlier task: its edit is known once it exists`,
  };
}

/**
 * Plans an edit (lineinfile, blockinfile) whose new text is `edit.text`, made from `before`: only
 * the attributes when the text is the same; else the write, and for a file `create` makes, the
 * folder above it too (mkdir -p, as Ansible does), predicted for the tasks after it.
 */
export function planEdit(path: string, current: FileFact, before: string, edit: { text: string; msg: string }, sensitive: boolean,
  wanted: WriteOptions,
  ctx: Pick<PlanContext, 'facts' | 'writer' | 'packages'>,
): Plan {
  if (current.exists && edit.text === before) return { ...planWrite(path, current, 'keep', wanted, ctx), msg: undefined };
  const making = current.exists ? undefined : siteMakingFolder(path, ctx);
  const plan = planWrite(path, current, contentOf(sensitive ? secret(edit.text) : edit.text, sensitive), wanted, ctx, {
    ...(making ? { site: making.site } : {}),
    what: edit.msg || 'content',
    before: current.exists ? [] : [{ kind: 'mkdir', path: posix.dirname(path) }],
  });
  return { ...plan, after: { ...predictions(making?.made), ...plan.after }, msg: edit.msg || undefined };
}

/**
 * Plans writing `content` to `path`. The current fact comes from fileFact(path); `wanted` holds
 * unresolved attributes (owner checked against the user facts the module declared). `keep`
 * leaves an existing file's content alone and only fixes its attributes.
 */
export function planWrite(path: string, current: FileFact, content: Content | 'keep',
  wanted: WriteOptions,
  view: PlanView,
  opts: { what?: string; before?: Step[]; site?: NewPathSite } = {},
): Plan {
  assertWritable(path, current);
  const attrs = resolveAttributes(wanted, view);
  const attributePlan = planAttributes(path, current, attrs);

  if (current.exists && (content === 'keep' || (current.sha256 !== null && current.sha256 === content.sha256))) {
    if (attributePlan.changes.length === 0) return { changes: [], steps: [] };
    return {
      changes: attributePlan.changes,
      steps: attributePlan.steps,
      after: predictions(predict(fileFact(path), { ...current, ...attributePlan.after })),
    };
  }
  if (content === 'keep') throw new PlanError(`${path} does not exist`);

  const sensitive = content.sensitive || Boolean(current.sensitive);
  const change: Change = {
    what: opts.what ?? 'content',
    before: current.exists ? (current.sha256 ? `sha256:${current.sha256}` : '(unreadable)') : '(absent)',
    after: `sha256:${content.sha256}`,
  };
  if (sensitive) {
    change.sensitive = true;
    change.after = '(sensitive)';
    // The old file's sha256 is a digest of what may be the secret itself (a token file): not shown either.
    if (current.exists) change.before = '(sensitive)';
  } else {
    const beforeText = current.exists ? current.content : '';
    if (beforeText !== undefined && content.text !== undefined && content.size <= CONTENT_LIMIT) {
      change.text = { path, before: beforeText, after: content.text };
    }
  }

  // renderWrite takes owner:group as a pair once either is given: keep the other from the old file.
  const keepOwner = current.exists && current.owner !== null;
  const keepGroup = current.exists && current.group !== null;
  const chownNeeded = attrs.owner !== undefined || attrs.group !== undefined;
  // A new file holding a secret is readable by its owner only, unless a mode is given.
  const mode = attrs.mode ?? (!current.exists && sensitive ? '0600' : undefined);
  const step: Step = {
    kind: 'write',
    path,
    // New content for a file whose old content was secret may hold that secret: keep it masked in logs.
    content: sensitive && typeof content.data === 'string' ? secret(content.data) : content.data,
    ...(mode ? { mode } : {}),
    ...(chownNeeded ? { owner: attrs.owner ?? (keepOwner ? current.owner! : undefined), group: attrs.group ?? (keepGroup ? current.group! : undefined) } : {}),
    ...(wanted.validate ? { validate: wanted.validate } : {}),
    ...(wanted.backup ? { backup: true } : {}),
    ...(wanted.check ? { check: wanted.check } : {}),
    // An edit of what the plan read: if the file changed meanwhile (another run, an admin), the
    // write fails instead of silently dropping that change.
    ...(current.exists && current.sha256 ? { replaces: current.sha256 } : {}),
  };
  const after: FileFact = {
    exists: true,
    type: 'file',
    // A new file without a mode is created 0644 (see renderWrite); its owner is whoever runs the
    // write, its group theirs or a setgid folder's (opts.site, from new-path.ts; null: not known).
    mode: mode ?? (current.exists ? current.mode : '0644'),
    owner: attrs.owner ?? (current.exists ? current.owner : (opts.site?.owner ?? null)),
    group: attrs.group ?? (current.exists ? current.group : (opts.site?.group ?? null)),
    size: content.size,
    sha256: content.sha256,
    linkTarget: null,
    ...(content.text !== undefined && content.size <= CONTENT_LIMIT ? { content: content.text } : {}),
    ...(content.sensitive ? { sensitive: true } : {}),
  };
  return {
    changes: [change, ...attributePlan.changes],
    steps: [...(opts.before ?? []), step],
    after: predictions(predict(fileFact(path), after)),
    // A later task (systemd, for a unit file) must know that this run rewrites the file, and that
    // a file in its folder changes (a unit's drop-in folder).
    files: { written: [path], writtenIn: [posix.dirname(path)] },
  };
}

