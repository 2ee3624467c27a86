// Debian packages as dpkg and apt see them: one package's installed state and apt's candidate
// (`pkg:NAME`), the state of apt's package lists (`apt:lists`), and what `apt-get -s` would do
// for an upgrade or an autoremove (`apt:simulate:ACTION`). Base system tools only: dpkg-query,
// apt-cache, apt-get -s, find, cksum.
import { quote } from '../quote.ts';
import { defineFact, withStable, type Fact } from './types.ts';

export interface PackageFact {
  name: string;
  /** dpkg's status says installed (`install ok installed`, `hold ok installed`). */
  installed: boolean;
  /** Held (`apt-mark hold`: dpkg's selection is `hold`): apt-get refuses to remove or upgrade it with -y. */
  held: boolean;
  /** Removed but its configuration files are still there (`deinstall ok config-files`): purge removes them. */
  configFiles: boolean;
  /** Installed version; null when not installed. */
  version: string | null;
  /** apt's candidate version in the lists; null when the lists do not know the package (or are empty). */
  candidate: string | null;
  /** The lists stamp the candidate was read against (see AptListsFact.stamp); null when unknown. */
  stamp: string | null;
}

export interface AptListsFact {
  /** No package index in /var/lib/apt/lists: a fresh image, nothing can be installed before an update. */
  empty: boolean;
  /** Seconds since the last successful `apt-get update` we know of; null when never. */
  age: number | null;
  /**
   * A short checksum of the lists' names, sizes and times: it changes when an update fetched new
   * indices. null on a predicted fact (an update planned in this run: what it fetches is unknown).
   */
  stamp: string | null;
}

/** One package apt-get -s says it would install, upgrade or remove. */
export interface SimulatedPackage {
  name: string;
  action: 'install' | 'upgrade' | 'remove';
  before: string | null;
  after: string | null;
}

export const LISTS_DIR = '/var/lib/apt/lists';
/** Touched after each successful update the apt module runs (the path Ansible reads too). */
export const UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp';

/** Shell text printing how many package indices the lists hold (0: a fresh image, nothing installable). */
export const INDEX_COUNT_SH = `find ${LISTS_DIR} -maxdepth 1 -type f -name '*_Packages*' 2>/dev/null | wc -l`;
/** Shell text listing the list files of DIR: name, size, mtime, one per line. */
const LISTING_SH = `find DIR -maxdepth 1 -type f ! -name lock -printf '%f %s %T@\\n' 2>/dev/null | LC_ALL=C sort`;
/** Shell text printing the lists stamp: names, sizes and mtimes of the list files, checksummed. */
export const LISTS_STAMP_SH = `${LISTING_SH.replace('DIR', LISTS_DIR)} | cksum | tr ' ' -`;
/** Shell text printing a checksum of dpkg's status database (what is installed, at which version). */
export const DPKG_STAMP_SH = `cksum < /var/lib/dpkg/status | tr ' ' -`;

const PACKAGE = 'pkg:';
/** Every package's key (an invalidation pattern, see FactStore.invalidate): what an apt-get update changes. */
export const EVERY_PACKAGE = `${PACKAGE}*`;

export function packageFact(name: string): Fact<PackageFact> {
  const script = [
    `s=$(dpkg-query -W -f ${quote('${Status}\\t${Version}\\n')} ${quote(name)} 2>/dev/null | head -n 1)`,
    `printf 'dpkg=%s\\n' "$s"`,
    `printf 'candidate=%s\\n' "$(apt-cache policy ${quote(name)} 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n 1)"`,
    `printf 'stamp=%s\\n' "$(${LISTS_STAMP_SH})"`,
  ].join('\n');
  return defineFact<PackageFact>(`${PACKAGE}${name}`, script, (out) => parsePackage(name, out));
}

export function parsePackage(name: string, out: string): PackageFact {
  const kv = keyValues(out);
  const [status = '', version = ''] = (kv.get('dpkg') ?? '').split('\t');
  const words = status.trim().split(/\s+/);
  const installed = words[2] === 'installed' || words[2] === 'half-configured' || words[2] === 'unpacked';
  const configFiles = words[2] === 'config-files';
  const candidate = kv.get('candidate')?.trim();
  return {
    name,
    installed,
    held: words[0] === 'hold',
    configFiles,
    version: installed && version ? version : null,
    candidate: candidate && candidate !== '(none)' ? candidate : null,
    stamp: kv.get('stamp')?.trim() || null,
  };
}

// Its age grows by itself: a saved plan holds the host to the lists' contents, not their age (if the
// age crossed a task's cacheValidTime meanwhile, the task's steps differ and that is caught).
export const aptListsFact: Fact<AptListsFact> = withStable(defineFact<AptListsFact>(
  'apt:lists',
  [
    `printf 'indices=%s\\n' "$(${INDEX_COUNT_SH})"`,
    `printf 'now=%s\\n' "$(date +%s)"`,
    `[ -e ${UPDATE_STAMP} ] && printf 'updated=%s\\n' "$(stat -c %Y ${UPDATE_STAMP})"`,
    `printf 'dir=%s\\n' "$(stat -c %Y ${LISTS_DIR} 2>/dev/null)"`,
    `printf 'stamp=%s\\n' "$(${LISTS_STAMP_SH})"`,
  ].join('\n'),
  (out) => parseLists(out),
), (v) => ({ empty: v.empty, stamp: v.stamp }));

export function parseLists(out: string): AptListsFact {
  const kv = keyValues(out);
  const empty = Number(kv.get('indices') ?? 0) === 0;
  const now = Number(kv.get('now'));
  // The update stamp when there is one, else the lists folder's own time (a file renamed into it).
  const then = Number(kv.get('updated') || kv.get('dir') || NaN);
  const age = empty || !Number.isFinite(now) || !Number.isFinite(then) ? null : Math.max(0, now - then);
  return { empty, age, stamp: kv.get('stamp')?.trim() || null };
}

export type SimulateAction = 'upgrade' | 'dist-upgrade' | 'autoremove';

/**
 * The lists of commands apt runs by itself around an update or a simulated upgrade: hooks packages
 * and admins add in apt.conf.d (PackageKit, appstream, command-not-found...). They run as root and
 * change things (caches, databases, messages to daemons), so fact gathering, which a dry run is
 * made of, runs none: its apt calls read the host's own configuration (sources, proxy) and then a
 * config text clearing these lists. Only a config file's `#clear` empties a list (`-o NAME=` sets
 * the list's own value and keeps its items, which apt runs), and `apt-get -c FILE` reads FILE after
 * apt.conf.d and after the Binary::apt-get:: scoping. From apt 2.6's sources (Debian 12):
 * - APT::Update::Pre-Invoke, Post-Invoke, Post-Invoke-Success: around an update (apt-pkg/update.cc);
 *   Auth-Failure: on a bad signature; Post-Invoke-Stats: after apt's update statistics.
 * - APT::Install::Pre-Invoke, Post-Invoke-Success and the JSON hooks AptCli::Hooks: in
 *   `apt-get -s upgrade|dist-upgrade|autoremove` too (apt-private/private-install.cc, private-upgrade.cc).
 * - Methods::Mirror::ProblemReporting: a program run when a mirror:// source fails (cleared, apt
 *   falls back to its default path, which Debian does not ship).
 * Left as they are: DPkg::* (run around dpkg only, which neither an update nor -s starts), and what
 * the downloads themselves need: methods, apt-key, the proxy (an Acquire::http::Proxy-Auto-Detect
 * command too, which apt runs as root to learn the proxy: without it such a host's mirror is out of reach).
 */
const HOOK_LISTS = [
  'APT::Update::Pre-Invoke',
  'APT::Update::Post-Invoke',
  'APT::Update::Post-Invoke-Success',
  'APT::Update::Post-Invoke-Stats',
  'APT::Update::Auth-Failure',
  'APT::Install::Pre-Invoke',
  'APT::Install::Post-Invoke-Success',
  'AptCli::Hooks',
  'Methods::Mirror::ProblemReporting',
];
/** Shell text: apt configuration clearing every list in HOOK_LISTS, one `#clear NAME;` a line. */
export const NO_HOOKS_CONF_SH = `printf '#clear %s;\\n' ${HOOK_LISTS.join(' ')}`;

/** Shell text running apt-get or apt-cache with ARGS, the host's configuration read and HOOK_LISTS then cleared. */
export function aptWithoutHooks(tool: 'apt-get' | 'apt-cache', args: string): string {
  return `${NO_HOOKS_CONF_SH} | LC_ALL=C ${tool} -c /dev/stdin ${args}`;
}

/** The start of every apt-get -s fact's key (simulateFact, removalFact). */
export const SIMULATION = 'apt:simulate:';
/** Every apt-get -s fact's key (an invalidation pattern): an update changes what apt would do. */
export const EVERY_SIMULATION = `${SIMULATION}*`;

/** What `apt-get -s ACTION` would do, from the lists as they are now (no lock taken, nothing changed, no hook run). */
export function simulateFact(action: SimulateAction): Fact<SimulatedPackage[]> {
  return defineFact<SimulatedPackage[]>(`${SIMULATION}${action}`, `${aptWithoutHooks('apt-get', `-s -q -o Debug::NoLocking=1 ${action}`)} 2>/dev/null`, (out, code) => {
    if (code !== 0) throw new Error(`apt-get -s ${action} exited ${code}`);
    return parseSimulation(out);
  });
}

/** Reads apt-get -s lines: `Inst name [old] (new repo [arch])`, `Remv name [old]`, `Purg name [old]`. */
export function parseSimulation(out: string): SimulatedPackage[] {
  const result: SimulatedPackage[] = [];
  for (const line of out.split('\n')) {
    const inst = /^Inst (\S+)(?: \[([^\]]+)\])? \((\S+)/.exec(line);
    if (inst) {
      result.push({ name: inst[1]!, action: inst[2] ? 'upgrade' : 'install', before: inst[2] ?? null, after: inst[3]! });
      continue;
    }
    const remv = /^(?:Remv|Purg) (\S+)(?: \[([^\]]+)\])?/.exec(line);
    if (remv) result.push({ name: remv[1]!, action: 'remove', before: remv[2] ?? null, after: null });
  }
  return result;
}

/** What the lists would say after an `apt-get update`, read without changing the host's own lists. */
export interface RefreshedListsFact {
  /**
   * refreshed: fetched into a scratch copy of the lists; fresh: younger than cacheValidTime (no
   * update would run); empty: a fresh image (every index is new: a certain change); failed: the
   * scratch update failed (error says why; the plan falls back to what it cannot know).
   */
  status: 'refreshed' | 'fresh' | 'empty' | 'failed';
  /** The lists stamp after the scratch update (compare with AptListsFact.stamp: did the update fetch anything?). */
  stamp: string | null;
  /** How many index files the update fetched anew. */
  fetched?: number;
  /** Candidate versions of the asked packages in the refreshed lists (null: not in them). */
  candidates: Record<string, string | null>;
  /** apt-get -s of the asked actions against the refreshed lists. */
  simulated: Partial<Record<SimulateAction, SimulatedPackage[]>>;
  error?: string;
}

/**
 * What an update would change, for a dry run that tells the truth about `updateCache` with
 * `upgrade` or `state: latest`: the lists are copied (hard links: apt replaces files by renaming)
 * into a scratch folder beside them, `apt-get update` fetches into that copy, and `apt-get -s` and
 * `apt-cache policy` read it. The host's lists, pkgcache and dpkg are untouched; the copy is removed.
 * None of apt's hooks runs (see HOOK_LISTS), and the downloads run as apt's sandbox user (_apt), as
 * in the host's own updates. Costs one download of the changed indices (the real run's update
 * fetches them again).
 */
const REFRESHED = 'apt:refreshed:';
/** Every refreshedListsFact key (an invalidation pattern): a real update makes the scratch one stale. */
export const EVERY_REFRESHED_LISTS = `${REFRESHED}*`;

export function refreshedListsFact(q: { cacheValidTime?: number; names: string[]; actions: SimulateAction[] }): Fact<RefreshedListsFact> {
  const key = `${REFRESHED}${q.cacheValidTime ?? ''}:${q.actions.join(',')}:${q.names.join(',')}`;
  const opts = `-o Dir::State::Lists="$t" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Debug::NoLocking=1`;
  const script = [
    `if [ "$(${INDEX_COUNT_SH})" -eq 0 ]; then echo status=empty; exit 0; fi`,
    // The same age as parseLists reads: the update stamp, else the lists folder's own time.
    ...(q.cacheValidTime === undefined
      ? []
      : [
          `then=$(stat -c %Y ${UPDATE_STAMP} 2>/dev/null || stat -c %Y ${LISTS_DIR})`,
          `if [ $(( $(date +%s) - then )) -lt ${q.cacheValidTime} ]; then echo status=fresh; exit 0; fi`,
        ]),
    `t=$(mktemp -d ${LISTS_DIR}.shipshape-XXXXXX) || exit 1`,
    `trap 'rm -rf "$t"' EXIT`,
    // cp -a gives the copy the lists' own owner and mode, and partial/ its own (_apt:root 0700 on
    // Debian 12): apt's download methods can drop to its sandbox user (_apt) there. partial/ is
    // emptied: resuming a hard-linked partial download would grow the host's own file.
    `cp -al ${LISTS_DIR}/. "$t/" 2>/dev/null || cp -a ${LISTS_DIR}/. "$t/" || exit 1`,
    `rm -f "$t/lock"; find "$t/partial" -mindepth 1 -delete 2>/dev/null`,
    `if ! out=$(${aptWithoutHooks('apt-get', `-q ${opts} update`)} 2>&1); then printf 'status=failed\\nerror=%s\\n' "$(printf '%s' "$out" | grep -E '^(E|Err):' | head -n 3 | tr '\\n' ' ')"; exit 0; fi`,
    `echo status=refreshed`,
    `printf 'stamp=%s\\n' "$(${LISTS_STAMP_SH.replace(LISTS_DIR, '"$t"')})"`,
    // How many index files the update fetched anew (name, size and time differ from the host's).
    `a=$(${LISTING_SH.replace('DIR', LISTS_DIR)}); b=$(${LISTING_SH.replace('DIR', '"$t"')})`,
    `printf 'fetched=%s\\n' "$(printf '%s\\n' "$b" | grep -cvxF "$a")"`,
    ...q.names.map((name) => `printf 'candidate %s=%s\\n' ${quote(name)} "$(${aptWithoutHooks('apt-cache', `${opts} policy ${quote(name)}`)} 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n 1)"`),
    ...q.actions.flatMap((action) => [`echo '== ${action}'`, `${aptWithoutHooks('apt-get', `-s -q ${opts} ${action}`)} 2>/dev/null | grep -E '^(Inst|Remv) '`, 'true']),
  ].join('\n');
  return defineFact<RefreshedListsFact>(key, script, (out, code) => {
    if (code !== 0) return { status: 'failed', stamp: null, candidates: {}, simulated: {}, error: `the scratch refresh exited ${code}` };
    return parseRefreshed(out);
  });
}

export function parseRefreshed(out: string): RefreshedListsFact {
  const head = out.split('\n== ')[0]!;
  const kv = keyValues(head);
  const status = (kv.get('status') ?? 'failed') as RefreshedListsFact['status'];
  const candidates: Record<string, string | null> = {};
  for (const m of head.matchAll(/^candidate (\S+)=(.*)$/gm)) candidates[m[1]!] = m[2]!.trim() && m[2]!.trim() !== '(none)' ? m[2]!.trim() : null;
  const simulated: RefreshedListsFact['simulated'] = {};
  for (const section of out.split('\n== ').slice(1)) {
    const [action, ...lines] = section.split('\n');
    simulated[action!.trim() as SimulateAction] = parseSimulation(lines.join('\n'));
  }
  const error = kv.get('error')?.trim();
  const fetched = kv.has('fetched') ? Number(kv.get('fetched')) : undefined;
  return { status, stamp: kv.get('stamp')?.trim() || null, ...(fetched !== undefined ? { fetched } : {}), candidates, simulated, ...(error ? { error } : {}) };
}

function keyValues(out: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !kv.has(line.slice(0, eq))) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return kv;
}
