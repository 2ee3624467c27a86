// The lab's stand-ins for simplexmq's release binaries, on the lab's HTTP server (the one that
// serves the apt repository, http://10.77.0.1:8080/), laid out as GitHub serves the real ones:
//   simplexmq/releases/download/TAG/ASSET   e.g. .../download/v6.4.5/smp-server-ubuntu-22_04-x86-64
//   simplexmq/releases/tag/TAG              the release text, with a `SHA2-256(ASSET)= HEX` line per
//                                           asset, as simplexmq's release workflow writes them
//                                           (.github/workflows/build.yml, "Upload binaries")
// Each asset is test/fixtures/releases/simplexmq/standin.sh (a POSIX sh script using openssl; its
// README says what it keeps of the real servers' contract) with its server, version and whether it
// can start filled in. The same bytes every time, so the checksums are stable.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BRIDGE_ADDR, labPaths, REPO_ROOT } from '../paths.ts';

export interface LabRelease {
  tag: string;
  /** What `-v` prints after "SMP server v" (the real binaries print the package version, 6.4.5.1 for v6.4.5). */
  version: string;
  /** A release whose servers exit at start: for the rollback tests. */
  startFails: boolean;
}

export const LAB_RELEASES: readonly LabRelease[] = [
  { tag: 'v6.4.5', version: '6.4.5.1', startFails: false },
  { tag: 'v6.5.2', version: '6.5.2.0', startFails: false },
  { tag: 'v9.9.9-cannot-start', version: '9.9.9.0', startFails: true },
];

export const RELEASE_SERVERS = ['smp-server', 'xftp-server'] as const;
export const RELEASE_PLATFORMS = ['ubuntu-22_04-x86-64', 'ubuntu-22_04-aarch64', 'ubuntu-24_04-x86-64', 'ubuntu-24_04-aarch64'] as const;

/** Where relay.ts downloads from on the lab (its simplexReleaseUrl). */
export const LAB_RELEASE_URL = `http://${BRIDGE_ADDR}:8080/simplexmq/releases/download`;
export const releasesDir = () => join(labPaths.aptDir, 'simplexmq', 'releases');

const TEMPLATE = join(REPO_ROOT, 'test', 'fixtures', 'releases', 'simplexmq', 'standin.sh');

/** The bytes of one stand-in asset. */
export function standinAsset(server: (typeof RELEASE_SERVERS)[number], release: LabRelease): Buffer {
  const text = readFileSync(TEMPLATE, 'utf8')
    .replace('STANDIN_SERVER=@SERVER@', `STANDIN_SERVER=${server}`)
    .replace('STANDIN_VERSION=@VERSION@', `STANDIN_VERSION=${release.version}`)
    .replace('STANDIN_START_FAILS=@START_FAILS@', `STANDIN_START_FAILS=${release.startFails ? 1 : 0}`);
  if (text.includes('=@')) throw new Error(`${TEMPLATE}: a placeholder was left unfilled`);
  return Buffer.from(text);
}

/** A file written whole (a host downloading meanwhile sees the old one or the new one). */
function put(path: string, data: Buffer | string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Writes every stand-in release and its release text (under `dir`, the served one by default); returns the tags. Idempotent. */
export function publishReleases(dir = releasesDir()): string[] {
  for (const release of LAB_RELEASES) {
    const lines: string[] = [];
    for (const server of RELEASE_SERVERS) {
      const bytes = standinAsset(server, release);
      for (const platform of RELEASE_PLATFORMS) {
        const asset = `${server}-${platform}`;
        put(join(dir, 'download', release.tag, asset), bytes, 0o755);
        lines.push(`SHA2-256(${asset})= ${createHash('sha256').update(bytes).digest('hex')}`);
      }
    }
    const text = [
      `simplexmq ${release.tag}: the shipshape lab's stand-in release (test/fixtures/releases/simplexmq/README.md).`,
      'Its binaries are POSIX sh scripts using openssl that keep the servers\' command-line contract, not SimpleX\'s servers.',
      ...(release.startFails ? ['Its servers exit at start: a release to roll back from.'] : []),
      '',
      ...lines.flatMap((l) => [l, '']),
    ].join('\n');
    put(join(dir, 'tag', release.tag), text, 0o644);
  }
  return LAB_RELEASES.map((r) => r.tag);
}
