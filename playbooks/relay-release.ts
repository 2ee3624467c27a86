// Upstream mode's release binaries: which asset a host runs, where it is downloaded from, the sha256
// the operator pinned for it, and the version it must report. Pure functions of the settings (and,
// for the platform, of the host's facts), so the checks run before any host is touched.
//
// simplexmq publishes, per tag, `smp-server-ubuntu-22_04-x86-64`, `xftp-server-ubuntu-24_04-aarch64`
// and so on, and puts `SHA2-256(ASSET)= HEX` lines in the release text (.github/workflows/build.yml,
// steps "Copy binaries from container and prepare them" and "Upload binaries"; its matrix builds
// Ubuntu 22.04 and 24.04 on x86-64 and aarch64). Its own installer picks the asset from
// /etc/os-release and `uname` (install.sh, os_test; scripts/main/simplex-servers-update,
// check_distro), for Ubuntu only: Debian is mapped here to the Ubuntu build whose C library it
// can run (bookworm's glibc 2.36 runs binaries linked against 22.04's 2.35; trixie's 2.41, 24.04's 2.39).
import type { BaseFacts } from '../engine/facts/base.ts';
import type { RelaySettings } from './relay-settings.ts';

export type Server = 'smp-server' | 'xftp-server';
export const SERVERS: readonly Server[] = ['smp-server', 'xftp-server'];

const SHA256 = /^[0-9a-f]{64}$/;
const VERSION = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const PLATFORM = /^ubuntu-\d\d_\d\d-(?:x86-64|aarch64)$/;
const ASSET = /^(?:smp|xftp)-server-ubuntu-\d\d_\d\d-(?:x86-64|aarch64)$/;

/** OS (id and version) -> the Ubuntu build it runs. */
const BASES: Record<string, string> = {
  'debian 12': 'ubuntu-22_04',
  'debian 13': 'ubuntu-24_04',
  'ubuntu 22.04': 'ubuntu-22_04',
  'ubuntu 24.04': 'ubuntu-24_04',
};
/** uname -m -> the release's architecture name. */
const ARCHES: Record<string, string> = { x86_64: 'x86-64', aarch64: 'aarch64', arm64: 'aarch64' };

/** The release platform of a host (ubuntu-22_04-x86-64), or why there is none. */
export function platformOf(facts: Pick<BaseFacts, 'os' | 'arch'>, override?: string): { platform: string } | { error: string } {
  if (override !== undefined) return { platform: override };
  const base = BASES[`${facts.os.id} ${facts.os.versionId}`];
  const arch = ARCHES[facts.arch];
  if (!base) return { error: `simplexmq publishes no build for ${facts.os.id} ${facts.os.versionId} (Ubuntu 22.04 and 24.04 builds, run here on Debian 12 and 13): set vars.simplexPlatform to the build to use` };
  if (!arch) return { error: `simplexmq publishes no build for the ${facts.arch} architecture (x86-64 and aarch64 only)` };
  return { platform: `${base}-${arch}` };
}

export const assetName = (server: Server, platform: string) => `${server}-${platform}`;

/** BASE/VERSION/ASSET, as https://github.com/simplex-chat/simplexmq/releases/download/v6.4.5/smp-server-ubuntu-22_04-x86-64. */
export const assetUrl = (c: Pick<RelaySettings, 'simplexReleaseUrl'>, version: string, asset: string) => `${c.simplexReleaseUrl}/${version}/${asset}`;

/** The pins of one version, as the inventory gives them (checked by checkRelease first). */
function pinsOf(c: Pick<RelaySettings, 'simplexSha256'>, version: string): Record<string, unknown> | undefined {
  const all = c.simplexSha256;
  if (all === null || typeof all !== 'object' || Array.isArray(all)) return undefined;
  const pins = (all as Record<string, unknown>)[version];
  return pins !== null && typeof pins === 'object' && !Array.isArray(pins) ? (pins as Record<string, unknown>) : undefined;
}

/** The pinned sha256 of an asset, lower case; undefined when not pinned. */
export function pinnedSha256(c: Pick<RelaySettings, 'simplexSha256'>, version: string, asset: string): string | undefined {
  const v = pinsOf(c, version)?.[asset];
  return typeof v === 'string' && SHA256.test(v.toLowerCase()) ? v.toLowerCase() : undefined;
}

const field = (version: string, asset?: string) => `vars.simplexSha256['${version}']${asset ? `['${asset}']` : ''}`;
const copyFrom = (version: string) => `copy it from the SHA2-256(ASSET)= lines of the release text of ${version} (https://github.com/simplex-chat/simplexmq/releases/tag/${version})`;

/**
 * Every problem with upstream mode's inputs that needs no host facts, each naming the inventory
 * variable: the version, its pins (present, 64 hex digits: a placeholder is refused, never
 * downloaded unpinned), both servers pinned for some platform, the platform override pinned, and
 * the passwords in the alphabet the servers accept. Empty when all is well.
 */
export function releaseProblems(c: RelaySettings, version = c.simplexVersion): string[] {
  if (version === undefined) return ["vars.simplexVersion is not set: upstream mode installs one pinned release, e.g. simplexVersion: 'v6.4.5' (a tag of https://github.com/simplex-chat/simplexmq/releases)"];
  const problems: string[] = [];
  if (!VERSION.test(version)) problems.push(`vars.simplexVersion '${version}' is not a release tag like v6.4.5`);
  const pins = pinsOf(c, version);
  if (c.simplexSha256 === undefined || c.simplexSha256 === null) {
    problems.push(`vars.simplexSha256 is not set: upstream mode downloads nothing without a pinned checksum; give ${field(version, 'smp-server-ubuntu-22_04-x86-64')} and the xftp-server one (${copyFrom(version)})`);
  } else if (!pins) {
    problems.push(`${field(version)} is not set: pin the sha256 of the ${version} binaries your hosts run (${copyFrom(version)})`);
  } else {
    for (const [asset, sum] of Object.entries(pins)) {
      if (!ASSET.test(asset)) problems.push(`${field(version, asset)}: '${asset}' is not a release asset name like smp-server-ubuntu-22_04-x86-64`);
      if (typeof sum !== 'string' || !SHA256.test(sum.toLowerCase())) problems.push(`${field(version, asset)} is ${JSON.stringify(sum)}, not a sha256 (64 hex digits): ${copyFrom(version)}`);
    }
    for (const server of SERVERS) {
      if (!Object.keys(pins).some((a) => a.startsWith(`${server}-`))) problems.push(`${field(version)} pins no ${server} binary: add ${field(version, assetName(server, c.simplexPlatform ?? 'ubuntu-22_04-x86-64'))}`);
    }
  }
  if (c.simplexPlatform !== undefined) {
    if (!PLATFORM.test(c.simplexPlatform)) problems.push(`vars.simplexPlatform '${c.simplexPlatform}' is not a release platform like ubuntu-22_04-x86-64`);
    else if (pins) for (const server of SERVERS) if (!pinnedSha256(c, version, assetName(server, c.simplexPlatform))) problems.push(`${field(version, assetName(server, c.simplexPlatform))} is not pinned`);
  }
  for (const [name, pw] of [['smpPassword', c.smpPassword], ['xftpPassword', c.xftpPassword]] as const) {
    if (pw !== undefined && !validPassword(pw.reveal())) problems.push(`vars.${name} must be printable ASCII without spaces, '@', ':' or '/' (the servers' create_password; simplexmq src/Simplex/Messaging/Protocol.hs, basicAuth)`);
  }
  return problems;
}

/** For a param function: throws the problems as one error (the engine reports it before touching any host). */
export function checkRelease(c: RelaySettings, version?: string): true {
  const problems = releaseProblems(c, version);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return true;
}

/** The host's assets have pins: undefined, or why not (with the variable to set). */
export function hostPinProblem(c: RelaySettings, facts: Pick<BaseFacts, 'os' | 'arch'>, version = c.simplexVersion ?? ''): string | undefined {
  const p = platformOf(facts, c.simplexPlatform);
  if ('error' in p) return p.error;
  const missing = SERVERS.map((s) => assetName(s, p.platform)).filter((a) => !pinnedSha256(c, version, a));
  if (missing.length === 0) return undefined;
  return `this host (${facts.os.id} ${facts.os.versionId}, ${facts.arch}) runs the ${p.platform} binaries, and ${missing.map((a) => field(version, a)).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not pinned: ${copyFrom(version)}`;
}

/** The URL and pinned sha256 of a server's binary for this host (after the checks above passed). */
export function releaseBinary(c: RelaySettings, facts: Pick<BaseFacts, 'os' | 'arch'>, server: Server, version = c.simplexVersion ?? ''): { url: string; sha256: string } {
  const p = platformOf(facts, c.simplexPlatform);
  if ('error' in p) throw new Error(p.error);
  const asset = assetName(server, p.platform);
  const sha256 = pinnedSha256(c, version, asset);
  if (!sha256) throw new Error(`${field(version, asset)} is not pinned`);
  return { url: assetUrl(c, version, asset), sha256 };
}

/** What `SERVER -v` prints first for a tag: "SMP server v6.4.5" for v6.4.5 (the binary says v6.4.5.1). */
export function versionLine(server: Server, version: string): string {
  const base = version.replace(/^v/, '').replace(/-.*$/, '');
  return `${server === 'smp-server' ? 'SMP server' : 'SimpleX XFTP server'} v${base}`;
}

/** The servers' create_password alphabet (Protocol.hs, basicAuth): printable, no whitespace, '@', ':', '/'. */
export function validPassword(pw: string): boolean {
  return pw.length > 0 && /^[\x21-\x7e]+$/.test(pw) && !/[@:/]/.test(pw);
}
