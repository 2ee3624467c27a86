// Path steps as shell text (attrs, mkdir, remove, symlink): each enters its folder with ss_cd and
// acts on one name there, through a checked descriptor or calls that never follow a final link.
import { splitPath } from '../remote/path-lib.ts';
import { quote } from '../quote.ts';
import { chmodFd, chownSpec, enter } from './render-shared.ts';
import type { Rendered } from './render.ts';
import type { AttrsStep, MkdirStep, PathStep, RemoveStep, SymlinkStep } from './types.ts';

function renderAttrs(step: AttrsStep): Rendered {
  const { dir, base } = splitPath(step.path);
  const spec = chownSpec(step.owner, step.group);
  const lines = [enter(dir, `${step.path} does not exist`)];
  if (step.link) {
    lines.push(`[ -L ${quote(base)} ] || { printf '%s\\n' ${quote(`shipshape: ${step.path} is no longer a symbolic link`)} >&2; exit 20; }`);
    if (spec !== undefined) lines.push(`chown -h -- ${quote(spec)} ${quote(base)} || exit 26`);
  } else {
    lines.push(`ss_pin ${quote(base)} || exit 20`);
    if (spec !== undefined) lines.push(`chown -- ${quote(spec)} /dev/fd/3 || exit 26`);
    if (step.mode) lines.push(chmodFd(step.mode));
  }
  return { body: `(\n${lines.join('\n')}\n)`, libs: ['path'] };
}

function renderMkdir(step: MkdirStep): Rendered {
  const spec = chownSpec(step.owner, step.group);
  const lines = [`ss_mkcd ${quote(step.path)} || exit 20`];
  if (spec !== undefined || step.mode) lines.push('ss_pin . || exit 20');
  if (spec !== undefined) lines.push(`chown -- ${quote(spec)} /dev/fd/3 || exit 26`);
  if (step.mode) lines.push(chmodFd(step.mode));
  return { body: `(\n${lines.join('\n')}\n)`, libs: ['path'] };
}

function renderRemove(step: RemoveStep): Rendered {
  const { dir, base } = splitPath(step.path);
  if (base === '.') throw new Error('refusing to remove /');
  const lines = [`ss_cd ${quote(dir)}; ss_rc=$?; [ $ss_rc = 2 ] && exit 0; [ $ss_rc = 0 ] || exit 20`, `rm -rf -- ${quote(`./${base}`)}`];
  return { body: `(\n${lines.join('\n')}\n)`, libs: ['path'] };
}

function renderSymlink(step: SymlinkStep): Rendered {
  const { dir, base } = splitPath(step.path);
  const spec = chownSpec(step.owner, step.group);
  const lines = [enter(dir, `the folder ${dir} does not exist (create it first)`), `ln -sfT -- ${quote(step.target)} ${quote(base)} || exit 29`];
  if (spec !== undefined) lines.push(`chown -h -- ${quote(spec)} ${quote(base)} || exit 26`);
  return { body: `(\n${lines.join('\n')}\n)`, libs: ['path'] };
}

export function renderPathStep(step: PathStep): Rendered {
  switch (step.kind) {
    case 'attrs':
      return renderAttrs(step);
    case 'mkdir':
      return renderMkdir(step);
    case 'remove':
      return renderRemove(step);
    case 'symlink':
      return renderSymlink(step);
  }
}
