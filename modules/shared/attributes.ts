// Mode, owner and group of a path: the params every file-writing module shares, the facts needed
// to check that the owner and group exist (predicted ones included), and the attrs step (chown and
// chmod through a descriptor opened on the path, see engine/plan/render.ts) that brings an
// existing path to the wanted attributes without rewriting it.
import type { PlanView } from '../../engine/module.ts';
import { PlanError } from '../../engine/plan/types.ts';
import type { FileFact } from '../../engine/facts/file.ts';
import type { Fact } from '../../engine/facts/types.ts';
import { groupFact, userFact } from '../../engine/facts/user.ts';
import type { AttrsStep, Change } from '../../engine/plan/types.ts';
import { Mode, normalizeMode, Type } from '../../engine/schema.ts';

/** A user or group name (no leading '-', ':' or blanks, which no account has and chown would misread) or a numeric id. */
const NAME_OR_ID = '^[^-:\\s][^:\\s]*$';

export const attributeParams = {
  mode: Type.Optional(Mode({ description: "Octal mode, e.g. '0644'. Unset: an existing path keeps its mode." })),
  owner: Type.Optional(Type.String({ minLength: 1, pattern: NAME_OR_ID, description: 'User name (or uid) that should own the path. It must exist on the host, or be created by an earlier task.' })),
  group: Type.Optional(Type.String({ minLength: 1, pattern: NAME_OR_ID, description: 'Group name (or gid) of the path. It must exist on the host, or be created by an earlier task.' })),
};

export interface Attributes {
  mode?: string;
  owner?: string;
  group?: string;
}

/** The user and group facts the attribute check reads. */
export function attributeFacts(a: Attributes): Fact[] {
  const named = [...(a.owner ? [userFact(a.owner)] : []), ...(a.group ? [groupFact(a.group)] : [])];
  return named;
}

/** The wanted attributes with names resolved (a uid becomes the user's name), or a PlanError for an owner or group that will not exist. */
export function resolveAttributes(a: Attributes, { facts, packages }: PlanView): Attributes {
  // Packages an earlier task installs may create users and groups (coturn's turnserver): a dry run
  // cannot see them yet, so it plans with the name; a real run reads the host again after the
  // install and fails here if the package did not create it.
  const out: Attributes = {};
  if (a.mode) out.mode = normalizeMode(a.mode);
  if (a.owner) {
    const user = facts.get(userFact(a.owner));
    if (!user.exists && packages.installs.length === 0) throw new PlanError(`owner '${a.owner}' does not exist on this host, and no earlier task creates it`);
    out.owner = user.exists ? user.name : a.owner;
  }
  if (a.group) {
    const group = facts.get(groupFact(a.group));
    if (!group.exists && packages.installs.length === 0) throw new PlanError(`group '${a.group}' does not exist on this host, and no earlier task creates it`);
    out.group = group.exists ? group.name : a.group;
  }
  return out;
}

export interface AttributePlan {
  changes: Change[];
  /** The attrs step for a path that exists; a path written anew gets its attributes from the write. */
  steps: AttrsStep[];
  /** The fact fields as they will be. */
  after: Pick<FileFact, 'mode' | 'owner' | 'group'>;
}

/**
 * Compares the wanted (resolved) attributes with the path's fact. `link: true` changes the link
 * itself (chown -h) and ignores mode, which symbolic links do not have.
 */
export function planAttributes(path: string, current: FileFact, wanted: Attributes, opts: { link?: boolean } = {}): AttributePlan {
  const changes: Change[] = [];
  const owner = wanted.owner !== undefined && wanted.owner !== current.owner ? wanted.owner : undefined;
  const group = wanted.group !== undefined && wanted.group !== current.group ? wanted.group : undefined;
  const mode = !opts.link && wanted.mode !== undefined && wanted.mode !== current.mode ? wanted.mode : undefined;
  if (owner !== undefined) changes.push({ what: 'owner', before: current.owner, after: owner });
  if (group !== undefined) changes.push({ what: 'group', before: current.group, after: group });
  if (mode !== undefined) changes.push({ what: 'mode', before: current.mode, after: mode });
  const steps: AttrsStep[] =
    changes.length === 0
      ? []
      : [{ kind: 'attrs', path, ...(owner !== undefined ? { owner } : {}), ...(group !== undefined ? { group } : {}), ...(mode !== undefined ? { mode } : {}), ...(opts.link ? { link: true } : {}) }];
  return {
    changes,
    steps,
    after: { mode: opts.link ? current.mode : (wanted.mode ?? current.mode), owner: wanted.owner ?? current.owner, group: wanted.group ?? current.group },
  };
}
