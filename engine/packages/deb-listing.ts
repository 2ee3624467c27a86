// What a .deb says about itself, parsed from dpkg-deb's output: the listing of its data archive
// (`dpkg-deb -c`, tar's verbose format) and its conffiles. The text comes from a package, so it is
// hostile input: it is only parsed here, never run, and a line that does not parse is dropped.
import type { FileType } from '../facts/file.ts';

/** One entry of a package's data archive, as dpkg would unpack it. */
export interface DebEntry {
  /** Absolute, no trailing slash: /etc/nginx/nginx.conf. */
  path: string;
  type: FileType | 'hardlink';
  /** Four octal digits, setuid/setgid/sticky included. */
  mode: string;
  owner: string;
  group: string;
  size: number;
  /** A symbolic link's target; a hard link's other name (absolute). */
  linkTarget: string | null;
}

const LINE = /^([-dlhcbps])([-rwxsStT]{9}) (\S+)\/(\S+) +(\d+) \d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)? \.(\/.*)$/;

/** Parses `dpkg-deb -c` (GNU tar -tv) lines. */
export function parseDebListing(text: string): DebEntry[] {
  const entries: DebEntry[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, kind, perms, owner, group, size, rest] = m as unknown as [string, string, string, string, string, string, string];
    let name = rest;
    let linkTarget: string | null = null;
    if (kind === 'l') {
      const at = rest.indexOf(' -> ');
      if (at < 0) continue;
      name = rest.slice(0, at);
      linkTarget = rest.slice(at + 4);
    } else if (kind === 'h') {
      const at = rest.indexOf(' link to ');
      if (at < 0) continue;
      name = rest.slice(0, at);
      linkTarget = absolute(rest.slice(at + 9));
    }
    const path = absolute(name);
    if (path === null || (kind === 'h' && linkTarget === null)) continue;
    entries.push({ path, type: typeOf(kind), mode: modeOf(perms), owner, group, size: Number(size), linkTarget });
  }
  return entries;
}

/** `./etc/x/` -> `/etc/x`; null for names that climb out (`..`), which dpkg refuses too. */
function absolute(name: string): string | null {
  const trimmed = name.replace(/^\.?\/+/, '/').replace(/\/+$/, '');
  const path = trimmed === '' ? '/' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  return path.split('/').some((part) => part === '..' || part === '.') ? null : path;
}

function typeOf(kind: string): DebEntry['type'] {
  if (kind === '-') return 'file';
  if (kind === 'd') return 'directory';
  if (kind === 'l') return 'link';
  if (kind === 'h') return 'hardlink';
  return 'other';
}

/** `rwsr-xr-x` -> '4755'. */
export function modeOf(perms: string): string {
  let special = 0;
  let bits = '';
  for (let i = 0; i < 3; i++) {
    const [r, w, x] = perms.slice(i * 3, i * 3 + 3);
    const exec = x === 'x' || x === 's' || x === 't';
    if (x === 's' || x === 'S') special |= i === 0 ? 4 : 2;
    if (x === 't' || x === 'T') special |= 1;
    bits += String((r === 'r' ? 4 : 0) + (w === 'w' ? 2 : 0) + (exec ? 1 : 0));
  }
  return `${special}${bits}`;
}

/** The conffiles control file: one absolute path a line (`remove-on-upgrade PATH` lines are not installed). */
export function parseConffiles(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/'));
}
