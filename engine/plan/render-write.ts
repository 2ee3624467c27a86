// The write as shell text (see engine/plan/types.ts WriteStep): whole or not at all, never through a
// link a folder's owner swapped in, the content checked before the rename.
import { splitPath } from '../remote/path-lib.ts';
import { quote, shellJoin } from '../quote.ts';
import { chownSpec, deadline, enter, SIGNAL_TRAPS, type RenderOptions } from './render-shared.ts';
import type { Rendered } from './render.ts';
import type { WriteStep } from './types.ts';

/** Where writes keep the previous file when asked (keepPrevious): root's, in memory. */
export const PREVIOUS_DIR = '/run/shipshape/prev';

/**
 * The write. Nobody but the engine knows the temp file's name before it exists (its random part
 * comes on stdin), and it is created with O_EXCL (set -C), so no link can be waiting there; from
 * then on the file is reached through descriptor 3 only. The checks before the rename: all the
 * bytes arrived and hash right (or the pinned sha256 for a download), `validate` passes, the temp
 * name is still ours, and the target still has the sha256 the plan was made from.
 */
export function renderWrite(step: WriteStep, opts: RenderOptions = {}): Rendered {
  if ((step.content === undefined) === (step.source === undefined)) throw new Error(`write ${step.path}: give exactly one of content and source`);
  const { dir, base } = splitPath(step.path);
  if (base === '.') throw new Error(`write ${step.path}: not a file path`);
  const lines = [
    enter(dir, `the folder ${dir} does not exist (create it first)`),
    SIGNAL_TRAPS,
    `trap 'ss_unwatch' EXIT`,
    `ss_watch ${deadline(opts)}`,
    'ss_head || exit 21',
    `ss_b=${quote(base)}; ss_tmp=.${quote(base.slice(0, 100))}.shipshape-$ss_token`,
    'umask 077',
    'set -C; command exec 3>"$ss_tmp" || exit 22; set +C',
    `trap 'ss_unwatch; rm -f -- "$ss_tmp"' EXIT`,
  ];
  if (step.source?.kind === 'command') {
    lines.push(`${shellJoin(step.source.argv)} >&3 </dev/null || { printf '%s\\n' ${quote(`shipshape: ${step.source.argv[0]} failed`)} >&2; exit 25; }`);
    lines.push('ss_sum=$(sha256sum < /dev/fd/3) || exit 25', `printf 'sha256=%s\\n' "\${ss_sum%% *}"`);
    if (step.sha256) {
      const want = quote(step.sha256.toLowerCase());
      lines.push(`if [ "\${ss_sum%% *}" != ${want} ]; then printf 'shipshape: sha256 mismatch: expected %s, got %s; %s is left as it was\\n' ${want} "\${ss_sum%% *}" ${quote(step.path)} >&2; exit 24; fi`);
    }
  } else {
    lines.push('ss_recv || exit 23');
  }
  lines.push('ss_unwatch');
  const spec = chownSpec(step.owner, step.group);
  if (spec !== undefined) lines.push(`chown -- ${quote(spec)} /dev/fd/3 || exit 26`);
  else lines.push(`if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then ss_keep=$(stat -c %u:%g -- "$ss_b") && chown -- "$ss_keep" /dev/fd/3 2>/dev/null; fi`);
  if (step.mode) lines.push(`chmod -- ${quote(step.mode)} /dev/fd/3 || exit 27`);
  else lines.push(`if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then ss_keep=$(stat -c %a -- "$ss_b") || exit 27; else ss_keep=0644; fi; chmod -- "$ss_keep" /dev/fd/3 || exit 27`);
  lines.push('sync -- /dev/fd/3 || exit 27');
  if (step.validate) {
    if (!step.validate.includes('%s')) throw new Error(`validate command must contain %s for the temp file: ${step.validate}`);
    lines.push(
      `{ ${step.validate.split('%s').join('"$PWD/$ss_tmp"')}\n} </dev/null >&2 || { printf 'shipshape: validation failed: %s\\n' ${quote(step.validate)} >&2; exit 3; }`,
      // The validator read the file by name: it must still be ours, or it validated something else.
      `[ "$(stat -c %d:%i -- "$ss_tmp")" = "$(stat -L -c %d:%i /dev/fd/3)" ] || { echo "shipshape: the temp file was replaced while it was validated: refusing" >&2; exit 28; }`,
    );
  }
  lines.push(
    'if [ "$ss_was" != - ]; then',
    `  ss_now=; if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then ss_now=$(sha256sum < "$ss_b"); fi`,
    `  if [ "\${ss_now%% *}" != "$ss_was" ]; then printf '%s\\n' ${quote(`shipshape: ${step.path} changed since it was read (its sha256 is not the one the plan was made from): nothing written`)} >&2; exit 4; fi`,
    'fi',
  );
  const keepPrevious = Boolean(step.keepPrevious || step.check);
  if (keepPrevious) {
    // A copy in root's /run (memory), not beside the file: a copy in sshd_config.d could be read as config.
    lines.push(
      `if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then`,
      `  ss_prev=$(umask 077; mkdir -p ${PREVIOUS_DIR} && mktemp ${PREVIOUS_DIR}/XXXXXXXXXX) && cp -p -- "$ss_b" "$ss_prev" || exit 30`,
      `else ss_prev=absent; fi`,
      `printf 'previous=%s\\n' "$ss_prev"`,
    );
  }
  if (step.backup) {
    lines.push(
      `if [ -f "$ss_b" ] && [ ! -L "$ss_b" ]; then`,
      `  ss_bak=$ss_b.$(date +%Y%m%d%H%M%S)~; ln -P -- "$ss_b" "$ss_bak" 2>/dev/null || { ss_bak=$ss_b.$(date +%Y%m%d%H%M%S)-$ss_token~; ln -P -- "$ss_b" "$ss_bak"; } || exit 30`,
      `  printf 'backup=%s\\n' "$PWD/$ss_bak"`,
      'fi',
    );
  }
  if (step.createOnly) {
    // link(2) never replaces: a file that appeared meanwhile stays.
    lines.push(`ln -P -- "$ss_tmp" "$ss_b" 2>/dev/null || { [ -e "$ss_b" ] || [ -L "$ss_b" ] || exit 29; }`);
  } else {
    // -T: a folder (or a link to one) at the target is an error, not a place to move into.
    lines.push('mv -f -T -- "$ss_tmp" "$ss_b" || exit 29', `trap 'ss_unwatch' EXIT`);
  }
  if (step.check) {
    // The whole configuration, with the new file in place: if it does not hold, the old file goes back.
    lines.push(
      `if ! { ${step.check}\n} </dev/null >&2; then`,
      `  if [ "$ss_prev" = absent ]; then rm -f -- "$ss_b"; else cp -p -- "$ss_prev" "$ss_tmp.back" && mv -f -T -- "$ss_tmp.back" "$ss_b"; fi`,
      `  printf 'shipshape: check failed: %s; the previous %s is back in place\\n' ${quote(step.check)} ${quote(step.path)} >&2`,
      '  exit 3',
      'fi',
    );
  }
  // In a folder another user may change, the name renamed may no longer have been our temp file
  // (swapped for a link): then what now sits at the target is not what was written, and the write
  // says so instead of reporting success. (Nothing of ours is lost: fd 3 held the content.)
  lines.push(
    `if [ -n "$ss_shared" ] && [ "$(stat -c %d:%i -- "$ss_b" 2>/dev/null)" != "$(stat -L -c %d:%i /dev/fd/3)" ]; then printf '%s\\n' ${quote(`shipshape: ${step.path} was replaced while it was written (its folder can be changed by another user): not written`)} >&2; exit 28; fi`,
  );
  return { body: lines.join('\n'), libs: ['path', 'receive'] };
}
