// The relay playbooks' settings: defaults that follow the published guide (mode 'guide') or
// simplexmq's own releases (mode 'upstream', the default), overridden per host or group by
// inventory variables (or -e). One typed object, so playbooks and templates read the same
// values and a typo in an inventory variable is caught here, not on a host.
import { resolve } from 'node:path';
import type { HostContext } from '../engine/module.ts';
import { isSecret, type Secret } from '../engine/secret.ts';

/**
 * guide: the published guide's way (a build machine compiles the servers, the guide's flags and
 * ports). upstream: simplexmq's own release binaries, users, folders, units and one-time init
 * (playbooks/relay-upstream.ts). The default, because it is the one that works on a real VPS.
 */
export type RelayMode = 'guide' | 'upstream';

export interface RelaySettings {
  mode: RelayMode;
  /** Where the build machine clones simplexmq from, and which branch, tag or commit. */
  simplexRepo: string;
  simplexVersion?: string;
  /** Folder of the clone on the build machine. */
  buildDir: string;
  /** The guide's build command, run in buildDir. */
  buildCommand: string[];
  /** Artifacts of the build, relative to buildDir. */
  smpArtifact: string;
  xfpArtifact: string;
  /** The guide's build dependencies. */
  buildPackages: string[];
  /** Where relays get the binaries: from the build machine (the guide), or prebuilt from a URL. */
  binarySource: 'build' | 'url';
  buildHost: string;
  smpServerUrl?: string;
  smpServerSha256?: string;
  xfpServerUrl?: string;
  xfpServerSha256?: string;
  smpFqdn: string;
  xfpFqdn: string;
  smpPort: number;
  xfpPort: number;
  xfpQuota: string;
  smpUser: string;
  xfpUser: string;
  smpDataDir: string;
  smpLogDir: string;
  xfpDataDir: string;
  xfpLogDir: string;
  /** TURN (coturn) on this relay. */
  turn: boolean;
  turnFqdn: string;
  /** The guide gives 5349 to both; they must differ. 3478 is TURN's usual plain port. */
  turnPort: number;
  turnTlsPort: number;
  turnRealm: string;
  turnUser: string;
  turnPassword?: Secret;
  turnCertDir: string;
  acmeEmail?: string;
  /** ACME directory: Let's Encrypt by default, the lab's Pebble in tests. */
  acmeServer?: string;
  sshPort: number;
  fail2banMaxRetry: number;
  /** Addresses fail2ban never bans (fail2ban's ignoreip): your admin network, the controller. */
  fail2banIgnoreIp: string[];
  minMemoryMb: number;

  // Upstream mode (playbooks/relay-upstream.ts, playbooks/relay-release.ts).
  /** Where release binaries are downloaded from: BASE/VERSION/ASSET, as GitHub's release downloads. */
  simplexReleaseUrl: string;
  /** version -> asset name -> sha256, as the release text's `SHA2-256(ASSET)= HEX` lines. Checked by checkRelease. */
  simplexSha256: unknown;
  /** The release platform (e.g. ubuntu-22_04-x86-64) instead of the one read from the host. */
  simplexPlatform?: string;
  xftpFqdn: string;
  /** The XFTP port: 443, xftp-server's default (its ini's [TRANSPORT] port). */
  xftpPort: number;
  /** xftp-server init -q: digits with kb, mb or gb. */
  xftpQuota: string;
  /** [AUTH] create_password of each server; unset: anyone may create queues / upload files. */
  smpPassword?: Secret;
  xftpPassword?: Secret;
  /** A folder on the controller: each relay's full addresses (passwords included) are fetched there. */
  addressDir?: string;
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`variable '${name}' must be a non-empty string`);
  return v;
};
const num = (v: unknown, name: string): number => {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw new Error(`variable '${name}' must be a positive whole number`);
  return n;
};
const bool = (v: unknown): boolean => v === true || v === 'true' || v === 'yes' || v === '1';

/** The settings of one host: defaults, then its variables. */
export function relaySettings(ctx: Pick<HostContext, 'host' | 'vars'>): RelaySettings {
  const v = ctx.vars;
  const has = (k: string) => v[k] !== undefined && v[k] !== null;
  const domain = has('domain') ? str(v.domain, 'domain') : 'yourdomain.com';
  const turnPassword = v.turnPassword;
  if (turnPassword !== undefined && !isSecret(turnPassword)) throw new Error("variable 'turnPassword' must be a secret: secret(process.env.TURN_PASSWORD)");
  const buildDir = has('buildDir') ? str(v.buildDir, 'buildDir') : '/opt/simplexmq';
  const turnFqdn = has('turnFqdn') ? str(v.turnFqdn, 'turnFqdn') : `turn.${domain}`;
  const mode = has('mode') ? v.mode : 'upstream';
  if (mode !== 'guide' && mode !== 'upstream') throw new Error("variable 'mode' must be 'upstream' (simplexmq's release binaries) or 'guide' (the published guide's build)");
  const secretVar = (name: string): Secret | undefined => {
    if (!has(name)) return undefined;
    if (!isSecret(v[name])) throw new Error(`variable '${name}' must be a secret: secret(process.env.${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()})`);
    return v[name] as Secret;
  };
  return {
    mode,
    simplexRepo: has('simplexRepo') ? str(v.simplexRepo, 'simplexRepo') : 'https://github.com/simplex-chat/simplexmq.git',
    simplexVersion: has('simplexVersion') ? str(v.simplexVersion, 'simplexVersion') : undefined,
    buildDir,
    buildCommand: Array.isArray(v.buildCommand) ? (v.buildCommand as string[]) : ['cargo', 'build', '--release'],
    smpArtifact: has('smpArtifact') ? str(v.smpArtifact, 'smpArtifact') : 'target/release/smp-server',
    xfpArtifact: has('xfpArtifact') ? str(v.xfpArtifact, 'xfpArtifact') : 'target/release/xfp-server',
    buildPackages: Array.isArray(v.buildPackages) ? (v.buildPackages as string[]) : ['build-essential', 'git', 'rustc', 'cargo', 'pkg-config', 'libssl-dev'],
    binarySource: v.binarySource === 'url' ? 'url' : 'build',
    buildHost: has('buildHost') ? str(v.buildHost, 'buildHost') : 'build',
    smpServerUrl: has('smpServerUrl') ? str(v.smpServerUrl, 'smpServerUrl') : undefined,
    smpServerSha256: has('smpServerSha256') ? str(v.smpServerSha256, 'smpServerSha256') : undefined,
    xfpServerUrl: has('xfpServerUrl') ? str(v.xfpServerUrl, 'xfpServerUrl') : undefined,
    xfpServerSha256: has('xfpServerSha256') ? str(v.xfpServerSha256, 'xfpServerSha256') : undefined,
    smpFqdn: has('smpFqdn') ? str(v.smpFqdn, 'smpFqdn') : `smp.${domain}`,
    xfpFqdn: has('xfpFqdn') ? str(v.xfpFqdn, 'xfpFqdn') : `xfp.${domain}`,
    smpPort: has('smpPort') ? num(v.smpPort, 'smpPort') : 5223,
    xfpPort: has('xfpPort') ? num(v.xfpPort, 'xfpPort') : 5353,
    xfpQuota: has('xfpQuota') ? str(v.xfpQuota, 'xfpQuota') : '2GB',
    smpUser: 'smp',
    xfpUser: 'xfp',
    smpDataDir: '/var/lib/smp',
    smpLogDir: '/var/log/smp',
    xfpDataDir: '/var/lib/xfp',
    xfpLogDir: '/var/log/xfp',
    turn: bool(v.turn),
    turnFqdn,
    turnPort: has('turnPort') ? num(v.turnPort, 'turnPort') : 3478,
    turnTlsPort: has('turnTlsPort') ? num(v.turnTlsPort, 'turnTlsPort') : 5349,
    turnRealm: has('turnRealm') ? str(v.turnRealm, 'turnRealm') : turnFqdn,
    turnUser: has('turnUser') ? str(v.turnUser, 'turnUser') : 'simplex',
    turnPassword: turnPassword as Secret | undefined,
    turnCertDir: '/etc/turnserver/certs',
    acmeEmail: has('acmeEmail') ? str(v.acmeEmail, 'acmeEmail') : undefined,
    acmeServer: has('acmeServer') ? str(v.acmeServer, 'acmeServer') : undefined,
    sshPort: has('sshPort') ? num(v.sshPort, 'sshPort') : 22,
    fail2banMaxRetry: has('fail2banMaxRetry') ? num(v.fail2banMaxRetry, 'fail2banMaxRetry') : 5,
    fail2banIgnoreIp: Array.isArray(v.fail2banIgnoreIp) ? (v.fail2banIgnoreIp as string[]).map((x) => str(x, 'fail2banIgnoreIp')) : [],
    minMemoryMb: has('minMemoryMb') ? num(v.minMemoryMb, 'minMemoryMb') : 1024,
    simplexReleaseUrl: has('simplexReleaseUrl') ? str(v.simplexReleaseUrl, 'simplexReleaseUrl').replace(/\/+$/, '') : 'https://github.com/simplex-chat/simplexmq/releases/download',
    simplexSha256: v.simplexSha256,
    simplexPlatform: has('simplexPlatform') ? str(v.simplexPlatform, 'simplexPlatform') : undefined,
    xftpFqdn: has('xftpFqdn') ? str(v.xftpFqdn, 'xftpFqdn') : `xftp.${domain}`,
    xftpPort: has('xftpPort') ? num(v.xftpPort, 'xftpPort') : 443,
    xftpQuota: has('xftpQuota') ? str(v.xftpQuota, 'xftpQuota') : '10gb',
    smpPassword: secretVar('smpPassword'),
    xftpPassword: secretVar('xftpPassword'),
    // fetch resolves relative paths against the playbook's folder: the operator means the current one.
    addressDir: has('addressDir') ? resolve(str(v.addressDir, 'addressDir')) : undefined,
  };
}

export const isUpstream = (ctx: Pick<HostContext, 'host' | 'vars'>): boolean => relaySettings(ctx).mode === 'upstream';
export const isGuide = (ctx: Pick<HostContext, 'host' | 'vars'>): boolean => relaySettings(ctx).mode === 'guide';

/** A param function reading one setting: `dest: setting((s) => s.smpDataDir)`. */
export function setting<T>(pick: (s: RelaySettings) => T): (ctx: HostContext) => T {
  return (ctx) => pick(relaySettings(ctx));
}
