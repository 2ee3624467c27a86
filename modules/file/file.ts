// file: the state of one path (a directory, a link, absent, an existing file's attributes, an
// empty file touched into existence), with mode, owner and group. Never writes content.
import { posix } from 'node:path';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { ABSENT_FILE, fileFact, keysUnder, type FileFact } from '../../engine/facts/file.ts';
import type { Fact } from '../../engine/facts/types.ts';
import { predict, predictions, type Prediction } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type Plan, type Step } from '../../engine/plan/types.ts';
import { Type } from '../../engine/schema.ts';
import { Choice } from '../../engine/schema.ts';
import { attributeFacts, attributeParams, planAttributes, resolveAttributes } from '../shared/attributes.ts';
import { ancestors, folderFacts, newPathSite, siteIn, type NewPathSite } from '../shared/new-path.ts';
import type { PlanContext } from '../../engine/module.ts';

const params = Type.Object(
  {
    path: Type.String({ pattern: '^/', description: 'Absolute path on the host.' }),
    state: Type.Optional(
      Choice(['file', 'directory', 'link', 'absent', 'touch'], {
        description:
          "file: an existing file's attributes (a missing file is an error); directory: created with its parents; link: a symbolic link to src; absent: removed, recursively for a directory; touch: an empty file created when missing (an existing one is left alone). Unset: the attributes of whatever exists at path, file or directory (a missing path is an error).",
      }),
    ),
    src: Type.Optional(Type.String({ minLength: 1, description: "Target of the link (state link). A relative target is relative to the link's folder." })),
    force: Type.Optional(
      Type.Boolean({ description: 'state link: replace an existing file (not a directory) at path, and allow a link to a target that does not exist. Default false.' }),
    ),
    ...attributeParams,
  },
  { additionalProperties: false },
);

type State = 'file' | 'directory' | 'link' | 'absent' | 'touch';

function srcPath(path: string, src: string): string {
  return src.startsWith('/') ? src : posix.join(posix.dirname(path), src);
}

function describe(f: FileFact): string {
  return f.exists ? f.type! : 'absent';
}

export const file = defineModule({
  name: 'file',
  summary: 'Manage a path: directory, symbolic link, absent, touch, and mode/owner/group.',
  doc: [
    'Brings one path to a state. `directory` creates it with its parents (mkdir -p); `link` makes a',
    'symbolic link to src; `absent` removes it (rm -rf); `touch` creates an empty file when missing;',
    '`file` only sets the attributes of a file that must already exist, and fails when it does not (as',
    'in Ansible: use copy, template or touch to create one); without a state, the attributes of the file',
    'or directory at path are set, and a missing path is an error. mode, owner and group are',
    'compared with the path and changed by chmod/chown; the owner and group must exist on the host or',
    'be created by an earlier task. A symbolic link at path is not followed: give its target path.',
    '',
    "  file({ path: '/srv/relay', state: 'directory', owner: 'relay', mode: '0750' })",
    "  file({ path: '/etc/nginx/sites-enabled/relay', state: 'link', src: '../sites-available/relay' })",
    "  file({ path: '/etc/ssl/private', mode: '0710' })   // no state: an existing file or directory",
  ].join('\n'),
  params,
  prepare(p) {
    const state = (p.state ?? 'file') as State;
    if (state === 'link' && p.src === undefined) throw new PrepareError('state link needs src, the target of the link', 'src');
    if (state !== 'link' && p.src !== undefined) throw new PrepareError('src is only used with state link', 'src');
    if (state === 'link' && p.mode !== undefined) throw new PrepareError('a symbolic link has no mode of its own: set the mode on its target', 'mode');
    if (state === 'absent' && (p.mode || p.owner || p.group)) throw new PrepareError('mode, owner and group make no sense with state absent', 'state');
  },
  facts(p) {
    // A folder is made with its parents (mkdir -p): each of them is read, to predict the ones it makes.
    const above = p.state === 'directory' ? ancestors(p.path).map((d) => fileFact(d)) : p.state === 'touch' || p.state === 'link' ? folderFacts(p.path) : [];
    const facts: Fact[] = [fileFact(p.path), ...above, ...attributeFacts(p)];
    if (p.state === 'link' && p.src !== undefined) facts.push(fileFact(srcPath(p.path, p.src)));
    return facts;
  },
  plan(p, ctx): Plan {
    const fact = fileFact(p.path);
    const current = ctx.facts.get(fact);
    // Without a state, as in Ansible: whatever is there keeps being what it is.
    const state: State = p.state ?? (current.type === 'directory' ? 'directory' : 'file');
    const wanted = state === 'absent' ? {} : resolveAttributes(p, ctx);

    if (state === 'absent') {
      if (!current.exists) return { changes: [], steps: [] };
      return {
        changes: [{ what: 'state', before: describe(current), after: 'absent' }],
        steps: [{ kind: 'remove', path: p.path }],
        after: predictions(predict(fact, { ...ABSENT_FILE })),
        // A removed drop-in (NAME.service.d/x.conf) calls for a daemon-reload as a written one does.
        files: { writtenIn: [posix.dirname(p.path)] },
        // What was inside a removed directory is gone too.
        invalidates: current.type === 'directory' ? [keysUnder(p.path)] : [],
      };
    }

    if (state === 'file') {
      if (!current.exists) throw new PlanError(`${p.path} does not exist: ${p.state ? 'state file' : 'without a state, file'} only changes an existing path (use state touch or directory, copy or template to create it)`);
      if (current.type === 'link') throw new PlanError(`${p.path} is a symbolic link to ${current.linkTarget}: give the target's path, or use state link`);
      if (current.type !== 'file') throw new PlanError(`${p.path} is a ${current.type}, not a file`);
      return attributesOnly(p.path, current, wanted);
    }

    if (state === 'touch') {
      if (current.exists) {
        if (current.type === 'link') throw new PlanError(`${p.path} is a symbolic link to ${current.linkTarget}: give the target's path`);
        return attributesOnly(p.path, current, wanted);
      }
      return create(p.path, 'file', wanted, newPathSite(p.path, ctx), {
        size: 0,
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        content: '',
      });
    }

    if (state === 'directory') {
      if (current.exists) {
        if (current.type === 'directory') return attributesOnly(p.path, current, wanted);
        if (current.type === 'link') throw new PlanError(`${p.path} is a symbolic link to ${current.linkTarget}: give the target's path`);
        throw new PlanError(`${p.path} exists and is a ${current.type}, not a directory`);
      }
      return createFolder(p.path, wanted, ctx);
    }

    // state link
    const src = p.src!;
    const target = ctx.facts.get(fileFact(srcPath(p.path, src)));
    if (!target.exists && !p.force) {
      throw new PlanError(`link target ${srcPath(p.path, src)} does not exist (and no earlier task creates it): set force to link to it anyway`);
    }
    if (current.exists && current.type === 'link' && current.linkTarget === src) {
      return attributesOnly(p.path, current, wanted, true);
    }
    if (current.exists && current.type === 'directory') throw new PlanError(`${p.path} is a directory: remove it first (state absent) to put a link there`);
    // A new link needs its folder, as a new file does (refused here rather than by ln in the real run).
    if (!current.exists) newPathSite(p.path, ctx);
    if (current.exists && current.type !== 'link' && !p.force) {
      throw new PlanError(`${p.path} exists and is a ${current.type}: set force to replace it with a link`);
    }
    const changes: Change[] = [
      current.exists && current.type === 'link'
        ? { what: 'link target', before: current.linkTarget, after: src }
        : { what: 'state', before: describe(current), after: 'link' },
    ];
    const base: FileFact = { ...ABSENT_FILE, exists: true, type: 'link', mode: '0777', owner: null, group: null, size: Buffer.byteLength(src), linkTarget: src };
    const attrs = planAttributes(p.path, base, wanted, { link: true });
    const steps: Step[] = [{ kind: 'symlink', path: p.path, target: src, ...(wanted.owner ? { owner: wanted.owner } : {}), ...(wanted.group ? { group: wanted.group } : {}) }];
    return {
      changes: [...changes, ...attrs.changes],
      steps,
      after: predictions(predict(fact, { ...base, ...attrs.after })),
    };
  },
});

function attributesOnly(path: string, current: FileFact, wanted: ReturnType<typeof resolveAttributes>, link = false): Plan {
  const attrs = planAttributes(path, current, wanted, { link });
  if (attrs.changes.length === 0) return { changes: [], steps: [] };
  return { changes: attrs.changes, steps: attrs.steps, after: predictions(predict(fileFact(path), { ...current, ...attrs.after })) };
}

/**
 * Creates a missing path with the wanted attributes in one step: a folder (and the folders above
 * it), or an empty file that is only created, never replaced. Unset attributes of the new path are
 * unknown (umask, the user running it): null.
 */
function create(path: string, type: 'file' | 'directory', wanted: ReturnType<typeof resolveAttributes>, site: NewPathSite, extra: Partial<FileFact>, made: Prediction[] = []): Plan {
  // What the new path is before its attributes are set: a file is written 0644 (renderWrite), a
  // folder made with umask 022 (ss_mkcd) and a setgid folder's bit; owned by who writes it (site).
  const mode = type === 'file' ? '0644' : site.setgid === null ? null : site.setgid ? '2755' : '0755';
  const fresh: FileFact = { ...ABSENT_FILE, exists: true, type, mode, owner: site.owner, group: site.group, ...extra };
  const attrs = planAttributes(path, { ...ABSENT_FILE, exists: true, type }, wanted);
  const given = { ...(wanted.mode ? { mode: wanted.mode } : {}), ...(wanted.owner ? { owner: wanted.owner } : {}), ...(wanted.group ? { group: wanted.group } : {}) };
  const step: Step = type === 'directory' ? { kind: 'mkdir', path, ...given } : { kind: 'write', path, content: '', createOnly: true, ...given };
  return {
    changes: [{ what: 'state', before: 'absent', after: type }, ...attrs.changes],
    steps: [step],
    after: predictions(...made, predict(fileFact(path), { ...fresh, ...Object.fromEntries(Object.entries(attrs.after).filter(([, v]) => v !== null)) })),
  };
}

/**
 * A missing folder and the missing folders above it, all made by one mkdir -p: each of them is
 * predicted (a later task on /srv/p after /srv/p/q/r finds it there), from the nearest folder that
 * exists (its setgid bit and group pass down).
 */
function createFolder(path: string, wanted: ReturnType<typeof resolveAttributes>, ctx: PlanContext): Plan {
  const missing: string[] = [];
  let site: NewPathSite = { owner: ctx.writer?.user ?? null, group: ctx.writer?.group ?? null, setgid: false };
  for (const dir of ancestors(path)) {
    const fact = fileFact(dir);
    if (ctx.facts.uncertain?.(fact)) {
      site = { owner: site.owner, group: null, setgid: null };
      break;
    }
    const f = ctx.facts.get(fact);
    if (!f.exists) {
      missing.push(dir);
      continue;
    }
    if (f.type !== 'directory' && f.type !== 'link') throw new PlanError(`${dir} is a ${f.type}, not a folder: ${path} cannot be made under it`);
    site = siteIn(f, ctx.writer);
    break;
  }
  const mode = site.setgid === null ? null : site.setgid ? '2755' : '0755';
  const made = missing.map((dir) => predict(fileFact(dir), { ...ABSENT_FILE, exists: true, type: 'directory', mode, owner: site.owner, group: site.group }));
  return create(path, 'directory', wanted, site, {}, made);
}
