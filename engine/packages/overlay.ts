// What the host will hold once pending packages are installed, as a dry run can tell from their
// previews (see preview.ts): a fact read from the host as it is now goes through here before a
// later task plans on it. A path a package ships is predicted from the package (its mode, owner,
// link target, content); what its maintainer scripts may make instead (a key, a link, a unit they
// start) is marked with a doubt naming the package: the task planning on it is reported unknown.
// Pure: table-tested in test/unit/packages-overlay.test.ts.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { PackageFact } from '../facts/apt.ts';
import type { FileFact } from '../facts/file.ts';
import type { UnitFact } from '../facts/unit.ts';
import type { DebEntry } from './deb-listing.ts';
import type { PreviewedPackage } from './preview.ts';

export interface Overlaid {
  value: unknown;
  /** Why no dry run can know this value (names the package); unset: the prediction is certain. */
  doubt?: string;
}

/**
 * Folders many packages share: a path in one of them is not under a package's influence just
 * because the package ships a file beside it (a file in /etc is not nginx's because nginx ships
 * /etc/nginx). A package's own folders (/etc/nginx/sites-enabled) are.
 */
const SHARED = new Set([
  '/', '/etc', '/usr', '/usr/lib', '/usr/share', '/usr/bin', '/usr/sbin', '/usr/include', '/usr/libexec', '/usr/local', '/usr/local/bin', '/usr/local/sbin', '/usr/local/lib', '/usr/local/share', '/usr/local/etc',
  '/bin', '/sbin', '/lib', '/lib64', '/var', '/var/lib', '/var/log', '/var/cache', '/var/spool', '/var/www', '/run', '/srv', '/opt', '/tmp',
  '/etc/default', '/etc/init.d', '/etc/logrotate.d', '/etc/cron.d', '/etc/cron.daily', '/etc/sudoers.d', '/etc/apt', '/etc/profile.d',
  '/etc/systemd', '/etc/systemd/system', '/lib/systemd', '/lib/systemd/system', '/usr/lib/systemd', '/usr/lib/systemd/system',
  '/usr/share/doc', '/usr/share/man', '/usr/share/lintian', '/usr/share/lintian/overrides', '/etc/ssl', '/etc/ssl/certs', '/usr/lib/tmpfiles.d', '/usr/lib/sysusers.d',
]);

const UNIT_DIRS = ['/etc/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];

/** The value a later task should plan on for this fact key, or undefined when no pending package touches it. */
export function overlay(packages: readonly PreviewedPackage[], key: string, observed: unknown): Overlaid | undefined {
  if (packages.length === 0) return undefined;
  if (key.startsWith('file:')) return overlayFile(packages, key.slice(5), observed as FileFact);
  if (key.startsWith('unit:')) return overlayUnit(packages, key.slice(5), observed as UnitFact);
  if (key.startsWith('pkg:')) return overlayPackage(packages, observed as PackageFact);
  return undefined;
}

/** A package apt pulls in as a dependency is installed too: a later apt task naming it has nothing to do. */
function overlayPackage(packages: readonly PreviewedPackage[], observed: PackageFact): Overlaid | undefined {
  const pkg = packages.find((p) => p.name === observed.name.split(':')[0]);
  if (!pkg || (observed.installed && observed.version === pkg.version)) return undefined;
  return { value: { ...observed, installed: true, configFiles: false, version: pkg.version, candidate: observed.candidate ?? pkg.version } satisfies PackageFact };
}

function overlayFile(packages: readonly PreviewedPackage[], path: string, observed: FileFact): Overlaid | undefined {
  for (const pkg of [...packages].reverse()) {
    const entry = pkg.files.find((f) => f.path === path);
    if (!entry) continue;
    const conffile = pkg.conffiles.includes(path);
    // dpkg keeps a conffile that is already there (the engine installs with --force-confold).
    if (conffile && observed.exists && pkg.action === 'install') return undefined;
    if (conffile && pkg.action === 'upgrade') return { value: observed, doubt: `${path} is a conffile of ${pkg.name}, which this run upgrades: whether dpkg replaces it is known only once it runs` };
    // A folder already there keeps what it has (dpkg leaves an existing folder's mode and owner alone).
    if (entry.type === 'directory' && observed.exists && observed.type === 'directory') return undefined;
    return fromEntry(pkg, entry);
  }
  const why = influence(packages, path);
  return why ? { value: observed, doubt: why } : undefined;
}

/** The fact a packaged entry gives its path once unpacked. */
function fromEntry(pkg: PreviewedPackage, entry: DebEntry): Overlaid {
  const base: FileFact = { exists: true, type: entry.type === 'hardlink' ? 'file' : entry.type, mode: entry.type === 'link' ? '0777' : entry.mode, owner: entry.owner, group: entry.group, size: entry.size, sha256: null, linkTarget: entry.linkTarget };
  if (entry.type === 'link') return { value: { ...base, size: entry.linkTarget!.length } };
  if (entry.type !== 'file' && entry.type !== 'hardlink') return { value: base };
  const content = pkg.contents[entry.type === 'hardlink' ? entry.linkTarget! : entry.path];
  if (typeof content !== 'string') {
    return { value: base, doubt: `the content ${entry.path} gets from ${pkg.name} was not read by the dry run (${content === null ? 'not text, or too large' : 'no task named it in time'})` };
  }
  return { value: { ...base, size: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex'), content } };
}

/**
 * Why a path no pending package ships may still be made by one when it installs, or undefined: a
 * package whose maintainer scripts name the path (or its file name), or name the path's folder
 * when the package ships it (not a shared one, see SHARED). A new file in a package's folder its
 * scripts leave alone (nginx's conf.d) is certain: absent until a task writes it.
 */
export function influence(packages: readonly PreviewedPackage[], path: string): string | undefined {
  if (SHARED.has(path)) return undefined;
  const folder = posix.dirname(path);
  for (const pkg of packages) {
    const scripts = Object.entries(pkg.scripts);
    if (scripts.length === 0) continue;
    // The path, or its last two names (sites-enabled/default): a bare file name says too little.
    const tail = path.split('/').slice(-2).join('/');
    const naming = scripts.find(([, text]) => containsWord(text, path) || (tail.includes('/') && tail !== path.slice(1) && containsWord(text, tail)));
    // Its own folder (not a shared one), which its scripts name: they make things in it.
    const ownsFolder = !SHARED.has(folder) && pkg.files.some((f) => f.type === 'directory' && f.path === folder);
    const inFolder = ownsFolder ? scripts.find(([, text]) => containsWord(text, folder)) : undefined;
    if (naming || inFolder) {
      const list = scripts.map(([s]) => s).join(', ');
      return `${path} is not in ${pkg.name}, but its ${naming ? `${naming[0]} names it` : `${inFolder![0]} works in ${folder}`}: what its maintainer scripts (${list}) make there is known only once they run`;
    }
  }
  return undefined;
}

function containsWord(text: string, word: string): boolean {
  let at = text.indexOf(word);
  while (at >= 0) {
    const before = text[at - 1];
    const after = text[at + word.length];
    if ((before === undefined || !/[\w.-]/.test(before)) && (after === undefined || !/[\w-]/.test(after))) return true;
    at = text.indexOf(word, at + 1);
  }
  return false;
}

/**
 * A unit a pending package ships: loaded once installed; whether its maintainer scripts start and
 * enable it (deb-systemd-helper, deb-systemd-invoke, policy-rc.d) is known only once they run.
 */
function overlayUnit(packages: readonly PreviewedPackage[], name: string, observed: UnitFact): Overlaid | undefined {
  for (const pkg of packages) {
    const entry = pkg.files.find((f) => UNIT_DIRS.some((d) => f.path === `${d}/${name}`) && (f.type === 'file' || f.type === 'link'));
    if (!entry) continue;
    if (observed.loadState !== 'not-found' && pkg.action === 'install') return undefined;
    const content = pkg.contents[entry.path];
    const installable = typeof content !== 'string' || /^\s*\[Install\]/m.test(content);
    const value: UnitFact = observed.loadState === 'not-found'
      ? { ...observed, loadState: 'loaded', activeState: 'inactive', subState: 'dead', unitFileState: installable ? 'disabled' : 'static', needDaemonReload: false, fragmentPath: entry.path }
      : observed;
    const scripts = Object.keys(pkg.scripts);
    if (scripts.length === 0 && pkg.action === 'install') return { value };
    const verb = pkg.action === 'install' ? 'comes with' : 'is restarted or reloaded by the upgrade of';
    return { value, doubt: `${name} ${verb} ${pkg.name}: whether its maintainer scripts (${scripts.join(', ') || 'none'}) start or enable it is known only once they run` };
  }
  return undefined;
}
