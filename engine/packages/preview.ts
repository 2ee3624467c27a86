// A dry run's look at the packages an apt task would install: the exact candidate .debs (the
// versions the real run would get, through the host's own sources and proxy) are downloaded into a
// scratch folder and read with dpkg-deb: their file lists (modes, owners, links), conffiles,
// maintainer scripts, and the contents of the files later tasks read. Only that comes back; the
// scratch folder goes on exit (trap), whatever happens. A .deb that apt's own cache already holds is
// not downloaded: a copy of it is read instead, kept only when its name, size and SHA256 are the
// candidate's as apt prints them (FROM_CACHE); the cache is only read. The downloads are not kept
// for a later real run: a dry run leaves nothing on the host (README, "What is reused").
//
// Nothing of the host's package state changes: apt-get -s and download run with no lock taken
// (Debug::NoLocking), no pkgcache written, none of apt's hooks (see HOOK_LISTS), the lists copied
// into a scratch folder when they must be refreshed first (as the scratch refresh does). dpkg is
// never called, only dpkg-deb, which reads an archive. A .deb's names and contents are hostile:
// the archives are read by apt's sandbox user (_apt, through setpriv), never unpacked onto disk (the
// data archive is decompressed to one file in the scratch folder, a member printed to a pipe with `tar -xO`), and the only names that reach a shell are the paths
// the playbook asked for, as quoted arguments.
import { decodeText, CONTENT_LIMIT } from '../facts/file.ts';
import { aptWithoutHooks, INDEX_COUNT_SH, LISTS_DIR, parseSimulation, type SimulatedPackage } from '../facts/apt.ts';
import { defineFact, type Fact } from '../facts/types.ts';
import { quote } from '../quote.ts';
import { parseConffiles, parseDebListing, type DebEntry } from './deb-listing.ts';

/** Maintainer scripts longer than this are cut (their text is only searched for paths and names). */
export const SCRIPT_LIMIT = 64 * 1024;
/** A .deb larger than this is not fetched (toolchains, kernels): what it ships is not predicted. */
export const PACKAGE_LIMIT = 16 * 1024 * 1024;
/** All .debs of one preview together: the packages beyond it are not fetched either. */
export const DOWNLOAD_BUDGET = 64 * 1024 * 1024;
/** Conffiles and unit files up to this size have their content read even when no task names them. */
export const AUTO_CONTENT_LIMIT = 64 * 1024;

export interface PreviewQuery {
  /** The names the apt task gives apt-get install. */
  names: string[];
  /** The task refreshes the lists first: the preview reads them refreshed (in a scratch copy). */
  update: boolean;
  /** Paths later tasks read: their packaged content comes back. */
  paths: string[];
}

export interface PreviewedPackage {
  name: string;
  version: string;
  /** Not on the host yet, or replacing the installed version `before`. */
  action: 'install' | 'upgrade';
  before: string | null;
  files: DebEntry[];
  conffiles: string[];
  /** Maintainer scripts the package runs around unpacking (preinst, postinst), by name: their text. */
  scripts: Record<string, string>;
  /** Packaged content of the asked paths (and small conffiles and units); null: not text, or too large. */
  contents: Record<string, string | null>;
  /** Its .deb was a verified copy from apt's cache (APT_ARCHIVES), not downloaded. */
  fromCache: boolean;
}

export interface PackagePreview {
  status: 'previewed' | 'failed';
  error?: string;
  packages: PreviewedPackage[];
  /** Packages apt would unpack that were not fetched (too large, or beyond the budget): name=version and size. */
  skipped?: string[];
}

/** Scripts that run while dpkg installs (the ones that can make files, users, links and start units). */
const SCRIPTS = ['preinst', 'postinst'];

/**
 * Run by _apt in the downloads folder ($1), the asked paths after it: for each .deb, its control
 * fields, listing, conffiles, scripts (base64) and the asked or small conffile/unit contents (base64).
 */
export const READER = `cd "$1" || exit 1; shift
printf '%s\\n' "$@" > ./.asked
for f in ./*.deb; do
  [ -f "$f" ] || continue
  printf '== deb\\n'
  dpkg-deb -f "$f" Package Version || exit 1
  printf -- '-- list\\n'
  # The data archive decompressed once (a file in this folder, not unpacked): listed and read from it.
  dpkg-deb --fsys-tarfile "$f" > ./.tar || exit 1
  tar -tvf ./.tar > ./.list || exit 1
  cat ./.list
  printf -- '-- conffiles\\n'
  # Only lines that are paths: a line of the package's own text cannot pass for one of these markers.
  dpkg-deb -I "$f" conffiles 2>/dev/null | grep '^/' > ./.conffiles
  cat ./.conffiles
  for s in ${SCRIPTS.join(' ')}; do
    if dpkg-deb -I "$f" "$s" > ./.script 2>/dev/null; then printf -- '-- script %s\\n' "$s"; head -c ${SCRIPT_LIMIT} ./.script | base64; fi
  done
  # One pass over the listing: its regular files that were asked for, or are small conffiles or units.
  awk 'FILENAME == "./.asked" { asked[$0] = 1; next } FILENAME == "./.conffiles" { conf[$0] = 1; next }
    /^-/ && match($0, / [0-9][0-9]:[0-9][0-9](:[0-9][0-9])? [.]\\//) { name = substr($0, RSTART + RLENGTH - 1)
      if (name in asked || ($3 <= ${AUTO_CONTENT_LIMIT} && (name in conf || name ~ /^\\/(usr\\/)?lib\\/systemd\\/system\\//))) print name }' ./.asked ./.conffiles ./.list > ./.want
  # One pass over the archive: tar hands each wanted member to the command (its name in TAR_FILENAME, never evaluated).
  sed 's|^|.|' ./.want > ./.members
  [ -s ./.members ] && tar -xf ./.tar --no-wildcards -T ./.members --to-command='printf -- "-- content %s\\n" "\${TAR_FILENAME#.}"; { head -c ${CONTENT_LIMIT + 1}; cat > /dev/null; } | base64' 2>/dev/null
  rm -f ./.tar
done`;

/** apt's own cache of downloaded .debs (`apt-get install --download-only`, a host that keeps what it installed). */
export const APT_ARCHIVES = '/var/cache/apt/archives';

/**
 * Run as root with the cache folder ($1) and the downloads folder ($2), lines `name=version FILE
 * SIZE SHA256:HEX` (from --print-uris) on stdin: a package whose .deb the cache holds (a regular
 * file, not a link, of that exact name and size) gets a copy of it in $2, kept only if the copy's
 * sha256 is HEX: `cached name=version`. Anything else, a name that is not a plain .deb file name
 * included: `fetch name=version`. The cache is only read (at most SIZE bytes of a file), never
 * written; a copy that does not verify is removed.
 */
export const FROM_CACHE = `c=$1 d=$2
while read -r a f s h; do
  x=\${h#SHA256:} ok=
  case "$f" in ''|.*|*/*|*[!A-Za-z0-9.+~%_-]*) f= ;; *.deb) ;; *) f= ;; esac
  case "$s" in ''|*[!0-9]*) f= ;; esac
  case "$h" in SHA256:*) ;; *) f= ;; esac
  case "$x" in ''|*[!0-9a-f]*) f= ;; esac
  if [ -n "$f" ] && [ \${#x} -eq 64 ] && [ -f "$c/$f" ] && [ ! -L "$c/$f" ] && [ "$(stat -c %s -- "$c/$f")" = "$s" ]; then
    if head -c "$s" -- "$c/$f" > "$d/$f" && chmod 0644 "$d/$f" && [ "$(sha256sum < "$d/$f" | cut -d' ' -f1)" = "$x" ]; then ok=1; else rm -f -- "$d/$f"; fi
  fi
  if [ -n "$ok" ]; then echo "cached $a"; else echo "fetch $a"; fi
done`;

export function previewKey(q: PreviewQuery): string {
  return `apt:preview:${q.update ? 'u' : ''}:${q.names.join(',')}`;
}

/** The preview of what installing q.names would put on the host (see the top of this file). */
export function packagePreviewFact(q: PreviewQuery): Fact<PackagePreview> {
  const paths = q.paths.filter((p) => p.startsWith('/') && !/[\n\r]/.test(p));
  const names = q.names.map(quote).join(' ');
  const fail = (what: string) => `printf 'status=failed\\nerror=%s\\n' "${what}: $(printf '%s' "$out" | grep -E '^(E|Err|W):' | head -n 3 | tr '\\n' ' ')"; exit 0`;
  const script = [
    't=$(mktemp -d /var/tmp/shipshape-preview-XXXXXX) || exit 1',
    'l=',
    `trap 'rm -rf -- "$t"; [ -z "$l" ] || rm -rf -- "$l"' EXIT`,
    "opts='-o Debug::NoLocking=1 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache='",
    // The lists the real run's apt-get install will read: refreshed by the task, or never fetched yet.
    `if [ ${q.update ? 1 : 0} = 1 ] || [ "$(${INDEX_COUNT_SH})" -eq 0 ]; then`,
    `  l=$(mktemp -d ${LISTS_DIR}.shipshape-XXXXXX) || exit 1`,
    `  cp -al ${LISTS_DIR}/. "$l/" 2>/dev/null || cp -a ${LISTS_DIR}/. "$l/" || exit 1`,
    '  rm -f "$l/lock"; find "$l/partial" -mindepth 1 -delete 2>/dev/null',
    '  opts="$opts -o Dir::State::Lists=$l"',
    `  out=$(${aptWithoutHooks('apt-get', '-q $opts update')} 2>&1) || { ${fail('the scratch refresh failed')}; }`,
    'fi',
    `out=$(${aptWithoutHooks('apt-get', `-s -q $opts install -- ${names}`)} 2>&1) || { ${fail('apt-get -s install failed')}; }`,
    'printf "%s\\n" "$out" | grep -E "^Inst " > "$t/inst"',
    'echo status=previewed',
    "echo '== simulated'",
    'cat "$t/inst"',
    // name=version of each package apt would unpack (names come from the lists: passed as arguments).
    // name=version of each package apt would unpack, its .deb's size from --print-uris; the named
    // packages first, then their kin (nginx-common for nginx-light), then the rest, within the
    // limits (see DOWNLOAD_BUDGET): the others are listed as skipped.
    `sed -n 's/^Inst \\([^ ]*\\) \\(\\[[^]]*\\] \\)\\{0,1\\}(\\([^ ]*\\) .*/\\1=\\3/p' "$t/inst" > "$t/want"`,
    // Every .deb's name, size and SHA256 (apt prints MD5 unless told otherwise), as if none were
    // cached: apt leaves out of --print-uris what it finds complete in its own cache.
    'mkdir "$t/archives" || exit 1',
    `${aptWithoutHooks('apt-get', `--print-uris -qq $opts -o Acquire::ForceHash=SHA256 -o Dir::Cache::Archives="$t/archives/" install -- ${names}`)} 2>/dev/null > "$t/uris"`,
    `awk -v named=${quote(` ${q.names.map((n) => n.split(':')[0]).join(' ')} `)} 'FNR == NR { f = $2; sub(/_.*/, "", f); size[f] = $3; next } { n = $0; sub(/=.*/, "", n); sub(/:.*/, "", n); stem = n; sub(/-.*/, "", stem); p = index(named, " " n " ") ? 0 : (index(named, " " stem) ? 1 : 2); print p, (n in size ? size[n] : 0), $0 }' "$t/uris" "$t/want" | sort -s -k1,1n | awk -v per=${PACKAGE_LIMIT} -v budget=${DOWNLOAD_BUDGET} '{ if ($2 > per || total + $2 > budget) { print "skipped " $3 " " $2 > "/dev/stderr" } else { total += $2; print $3 } }' > "$t/get" 2> "$t/skipped"`,
    "echo '== skipped'",
    'cat "$t/skipped"',
    // Each one with its .deb's name, size and hash: taken from apt's cache when a verified copy is there.
    `awk 'FNR == NR { n = $2; sub(/_.*/, "", n); deb[n] = $2 " " $3 " " $4; next } { n = $0; sub(/=.*/, "", n); sub(/:.*/, "", n); print $0, (n in deb ? deb[n] : "- 0 -") }' "$t/uris" "$t/get" > "$t/fetch"`,
    '[ -s "$t/fetch" ] || exit 0',
    'd="$t/debs"; mkdir "$d" && chown _apt:root "$d" && chmod 0700 "$d" && chmod 0711 "$t" || exit 1',
    `sh -c ${quote(FROM_CACHE)} sh ${APT_ARCHIVES} "$d" < "$t/fetch" > "$t/sources" || exit 1`,
    "echo '== cached'",
    `sed -n 's/^cached //p' "$t/sources"`,
    'set --',
    `while read -r w a; do [ "$w" = cached ] || set -- "$@" "$a"; done < "$t/sources"`,
    `[ -z "$1" ] || out=$(cd "$d" && ${aptWithoutHooks('apt-get', '-q $opts download -- "$@"')} 2>&1) || { echo '== end'; ${fail('apt-get download failed')}; }`,
    `setpriv --reuid=_apt --regid=65534 --clear-groups -- sh -c ${quote(READER)} sh "$d" ${paths.map(quote).join(' ')} || { out=; echo '== end'; ${fail('reading the packages failed')}; }`,
  ].join('\n');
  return defineFact<PackagePreview>(previewKey(q), script, (out, code) => {
    if (code !== 0) return { status: 'failed', error: `the package preview exited ${code}`, packages: [] };
    return parsePreview(out);
  });
}

export function parsePreview(out: string): PackagePreview {
  const [head = '', ...sections] = out.split(/^== /m);
  const kv = new Map<string, string>();
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !kv.has(line.slice(0, eq))) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  let simulated: SimulatedPackage[] = [];
  const packages: PreviewedPackage[] = [];
  let failed: string | undefined;
  const skipped: string[] = [];
  const cached = new Set<string>();
  for (const section of sections) {
    const nl = section.indexOf('\n');
    const title = section.slice(0, nl < 0 ? undefined : nl).trim();
    const body = nl < 0 ? '' : section.slice(nl + 1);
    if (title === 'simulated') simulated = parseSimulation(body);
    else if (title === 'skipped') skipped.push(...[...body.matchAll(/^skipped (\S+) (\d+)$/gm)].map((m) => `${m[1]} (${Math.round(Number(m[2]) / 1048576)} MiB)`));
    else if (title === 'cached') {
      for (const line of body.split('\n')) if (line.trim()) cached.add(line.trim());
    }
    else if (title === 'deb') packages.push(parseDeb(body));
    else if (title === 'end') {
      const error = /^error=(.*)$/m.exec(body)?.[1];
      if (/^status=failed$/m.test(body)) failed = error ?? 'the package preview failed';
    }
  }
  const status = failed ? 'failed' : kv.get('status') === 'previewed' ? 'previewed' : 'failed';
  const error = failed ?? kv.get('error')?.trim();
  for (const p of packages) {
    const sim = simulated.find((s) => s.name === p.name || s.name.split(':')[0] === p.name);
    if (sim?.action === 'upgrade') Object.assign(p, { action: 'upgrade', before: sim.before });
    p.fromCache = [...cached].some((c) => c.split('=')[0]!.split(':')[0] === p.name && c.slice(c.indexOf('=') + 1) === p.version);
  }
  return { status, ...(status === 'failed' ? { error: error || 'the package preview failed' } : {}), packages: status === 'failed' ? [] : packages, ...(skipped.length > 0 ? { skipped } : {}) };
}

function parseDeb(body: string): PreviewedPackage {
  const parts = body.split(/^-- /m);
  const fields = parts[0] ?? '';
  const pkg: PreviewedPackage = {
    name: /^Package: *(\S+)/m.exec(fields)?.[1] ?? '(unknown)',
    version: /^Version: *(\S+)/m.exec(fields)?.[1] ?? '',
    action: 'install',
    before: null,
    files: [],
    conffiles: [],
    scripts: {},
    contents: {},
    fromCache: false,
  };
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const title = nl < 0 ? part : part.slice(0, nl);
    const body = nl < 0 ? '' : part.slice(nl + 1);
    if (title === 'list') pkg.files = parseDebListing(body);
    else if (title === 'conffiles') pkg.conffiles = parseConffiles(body);
    else if (title.startsWith('script ')) pkg.scripts[title.slice(7)] = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1');
    else if (title.startsWith('content ')) {
      const bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
      pkg.contents[title.slice(8)] = bytes.length > CONTENT_LIMIT ? null : (decodeText(bytes) ?? null);
    }
  }
  return pkg;
}
