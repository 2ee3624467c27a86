// Shell functions (POSIX sh, coreutils) for reaching a path on a host without letting anyone but
// root redirect the way there. The engine runs as root; a folder another user owns (~USER/.ssh),
// or may write (group- or world-writable), is theirs to rearrange at any moment: a name checked
// with `[ -L ]` can be a symbolic link by the time it is opened. So every path operation enters
// the path's folder first (ss_cd), making the folder the shell's working directory (held by inode,
// whatever later happens to the names above it), and then works on one name in it, through a
// descriptor checked against that name (ss_pin) or with calls that never follow a final link
// (mkdir, rename, chown -h, rm). Scripts that need these put PATH_LIB before their own text.

/**
 * ss_cd DIR enters the absolute DIR. Returns 2 when a folder on the way does not exist (or is not
 * a folder), 1 when the way is refused: a symbolic link met in a folder someone other than root
 * may change. Root's own links (/var/run -> /run) are followed: only root could have made them.
 * Fast path: every folder on the way a real folder owned by root that only root may write (one
 * stat); otherwise walked one name at a time (ss_walk).
 *
 * Either way ss_shared is then empty when only root may change the folder entered, else the uid
 * of its owner: names in it may change under us.
 *
 * ss_mkcd DIR is ss_cd, making each missing folder on the way (mkdir never follows a link; the new
 * folder is then entered with the same checks, so a link swapped in for it is refused).
 *
 * ss_pin NAME opens NAME, in the current folder, on descriptor 3 and checks that what was opened
 * is what the name showed to lstat: a regular file or a folder, not a link swapped in between.
 * chmod/chown/sha256sum then act on /dev/fd/3, the opened inode, never on the name again.
 */
export const PATH_LIB = `unset CDPATH
ss_nl='
'
ss_refuse() { ss_why=$1; printf 'shipshape: %s\n' "$1" >&2; return 1; }
ss_root_only() { case $1 in d????w*|d???????w*) return 1;; d*) [ "$2" = 0 ];; *) return 1;; esac; }
ss_cd() {
  case $1 in /*) ;; *) ss_refuse "$1 is not an absolute path"; return;; esac
  ss_want=$1; set -- /; ss_rest=\${ss_want#/}; ss_at=
  while [ -n "$ss_rest" ]; do
    ss_c=\${ss_rest%%/*}; ss_rest=\${ss_rest#"$ss_c"}; ss_rest=\${ss_rest#/}
    [ -n "$ss_c" ] || continue
    ss_at=$ss_at/$ss_c; set -- "$@" "$ss_at"
  done
  if ss_out=$(stat -c '%u %A' -- "$@" 2>/dev/null); then
    ss_ok=1; ss_ifs=$IFS; IFS=$ss_nl
    for ss_l in $ss_out; do ss_root_only "\${ss_l#* }" "\${ss_l%% *}" || ss_ok=; done
    IFS=$ss_ifs
    [ -n "$ss_ok" ] && cd -- "$ss_want" && ss_shared= && return 0
  fi
  ss_walk "$ss_want" ''
}
ss_mkcd() { ss_walk "$1" mk; }
ss_walk() {
  cd / || return 1
  ss_rest=\${1#/}
  while [ -n "$ss_rest" ]; do
    ss_c=\${ss_rest%%/*}; ss_rest=\${ss_rest#"$ss_c"}; ss_rest=\${ss_rest#/}
    case $ss_c in '') continue;; .|..) ss_refuse "refusing '$ss_c' in $1"; return;; esac
    ss_here=$(stat -c '%u %A %d:%i' -- .) || return 1
    ss_u=\${ss_here%% *}; ss_id=\${ss_here##* }; ss_a=\${ss_here#* }; ss_a=\${ss_a%% *}
    if [ ! -e "$ss_c" ] && [ ! -L "$ss_c" ]; then
      [ "$2" = mk ] || return 2
      ( umask 022; mkdir -- "$ss_c" ) || return 1
    fi
    if ss_root_only "$ss_a" "$ss_u"; then
      [ -d "$ss_c" ] || return 2
      cd -P -- "$ss_c" || return 1
      continue
    fi
    if [ -L "$ss_c" ]; then
      ss_refuse "refusing to follow the symbolic link $PWD/$ss_c: its folder can be changed by uid $ss_u"
      return
    fi
    [ -d "$ss_c" ] || return 2
    cd -P -- "$ss_c" || return 1
    # Entered the entry of the folder we came from, not wherever a link swapped in meanwhile led.
    ss_ids=$(stat -c %d:%i -- .. . "../$ss_c" 2>/dev/null) || ss_ids=
    ss_dot=\${ss_ids#*"$ss_nl"}; ss_dot=\${ss_dot%"$ss_nl"*}
    if [ "$ss_ids" != "$ss_id$ss_nl$ss_dot$ss_nl$ss_dot" ]; then
      ss_refuse "$PWD changed while it was entered (a link swapped in?): refusing"
      return
    fi
  done
  ss_here=$(stat -c '%u %A' -- .) || return 1
  if ss_root_only "\${ss_here#* }" "\${ss_here%% *}"; then ss_shared=; else ss_shared=\${ss_here%% *}; fi
}
ss_pin() {
  ss_st=$(stat -c '%F|%d:%i' -- "$1") || return 1
  case $ss_st in 'regular file|'*|'regular empty file|'*|'directory|'*) ;; *) ss_refuse "$PWD/$1 is a \${ss_st%|*}, not a regular file or folder"; return;; esac
  command exec 3<"$1" || return 1
  if [ "$(stat -L -c %d:%i /dev/fd/3)" != "\${ss_st#*|}" ]; then
    ss_refuse "$PWD/$1 changed while it was opened (a link swapped in?): refusing"
    return
  fi
}
`;

/** The folder and the last name of an absolute, normalized path ('/' is its own folder, name '.'). */
export function splitPath(path: string): { dir: string; base: string } {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (trimmed === '/') return { dir: '/', base: '.' };
  const at = trimmed.lastIndexOf('/');
  return { dir: at <= 0 ? '/' : trimmed.slice(0, at), base: trimmed.slice(at + 1) };
}
