// Where a module creates a path: the folder it goes in must exist (or be made by an earlier task),
// and what the new path will be follows from who writes it and from that folder. Knowing this in
// the plan lets a dry run refuse what the real run cannot do (a file in a folder that is missing),
// and lets later tasks see the owner and group the path really gets (no false "owner: (none) -> root").
import { posix } from 'node:path';
import { fileFact, type FileFact } from '../../engine/facts/file.ts';
import type { Fact } from '../../engine/facts/types.ts';
import type { PlanContext } from '../../engine/module.ts';
import { predict, type Prediction } from '../../engine/plan/predict.ts';
import { PlanError } from '../../engine/plan/types.ts';

/** What a path created in a folder gets without being told: null where it cannot be known. */
export interface NewPathSite {
  owner: string | null;
  group: string | null;
  /** The folder's setgid bit: new folders inherit it (and the folder's group); null when unknown. */
  setgid: boolean | null;
}

/** The folders above a path, nearest first, '/' left out (it always exists). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let dir = posix.dirname(posix.normalize(path)); dir !== '/' && dir !== '.'; dir = posix.dirname(dir)) out.push(dir);
  return out;
}

/** The fact of the folder a path goes in (none for a path right under '/'). */
export function folderFacts(path: string): Fact[] {
  return ancestors(path).slice(0, 1).map((d) => fileFact(d));
}

const ROOT: FileFact = { exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root', size: null, sha256: null, linkTarget: null };

function isSetgid(f: FileFact): boolean {
  return f.mode !== null && (parseInt(f.mode, 8) & 0o2000) !== 0;
}

/**
 * The site of a path about to be created in its folder (declared with folderFacts). A folder that is
 * missing or not a folder is a PlanError, dry run and real run alike, unless an earlier task of a
 * dry run (a command, a package) may make it in ways no plan predicts.
 */
export function newPathSite(path: string, ctx: Pick<PlanContext, 'facts' | 'writer'>): NewPathSite {
  const dir = ancestors(path)[0];
  const unknown: NewPathSite = { owner: ctx.writer?.user ?? null, group: null, setgid: null };
  if (dir === undefined) return siteIn({ ...ROOT }, ctx.writer);
  const fact = fileFact(dir);
  const folder = ctx.facts.get(fact);
  if (ctx.facts.uncertain?.(fact)) return unknown;
  if (!folder.exists) throw new PlanError(`the folder ${dir} does not exist (and no earlier task creates it): create it first, with file({ path: '${dir}', state: 'directory' })`);
  if (folder.type !== 'directory' && folder.type !== 'link') throw new PlanError(`${dir} is a ${folder.type}, not a folder: ${path} cannot be created in it`);
  return siteIn(folder, ctx.writer);
}

/** The site in an existing folder (a link to one: not known). */
export function siteIn(folder: FileFact, writer: PlanContext['writer']): NewPathSite {
  const setgid = folder.type !== 'directory' || folder.mode === null ? null : isSetgid(folder);
  return { owner: writer?.user ?? null, group: setgid === null ? null : setgid ? folder.group : (writer?.group ?? null), setgid };
}

/**
 * For an edit that creates its file and the folder above (lineinfile and blockinfile with create,
 * mkdir -p as Ansible does): the new file's site, and the folder's prediction when it is made here,
 * so a later task finds it (its mode and group are known only when the folder above it is).
 */
export function siteMakingFolder(path: string, ctx: Pick<PlanContext, 'facts' | 'writer'>): { site: NewPathSite; made?: Prediction } {
  const dir = ancestors(path)[0];
  if (dir === undefined) return { site: newPathSite(path, ctx) };
  const fact = fileFact(dir);
  const folder = ctx.facts.get(fact);
  if (folder.exists || ctx.facts.uncertain?.(fact)) return { site: newPathSite(path, ctx) };
  const made: FileFact = { exists: true, type: 'directory', mode: null, owner: ctx.writer?.user ?? null, group: null, size: null, sha256: null, linkTarget: null };
  return { site: { owner: made.owner, group: null, setgid: null }, made: predict(fact, made) };
}
