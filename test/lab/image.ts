// The host image: a minimal bookworm built once by mmdebstrap, cached as .tar.zst keyed by a hash of
// its recipe, and unpacked once into a read-only base that every host's overlay shares.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CACHE_DIR, BRIDGE_ADDR, PROXY_URL } from './paths.ts';
import { run } from './sh.ts';

// ufw is not here: it depends on python3, and the hosts must prove the engine needs no python.
// Tests install it through the proxy (apt-get install ufw), as a real playbook would.
const PACKAGES = [
  'openssh-server', 'systemd', 'systemd-sysv', 'dbus', 'sudo', 'iptables', 'cron',
  'iproute2', 'procps', 'ca-certificates',
];

/** Runs on the build machine with $1 = the new root; `chroot "$1"` runs inside it. */
const CUSTOMIZE = String.raw`
set -eu
R="$1"
# Per-host identity is written at 'up': host keys, hostname, machine-id.
rm -f "$R"/etc/ssh/ssh_host_*
rm -f "$R"/etc/hostname
: > "$R"/etc/machine-id
rm -f "$R"/var/lib/dbus/machine-id
printf 'nameserver ${BRIDGE_ADDR}\n' > "$R"/etc/resolv.conf
# Everything through the proxy but the lab's own repos on the bridge (the proxy refuses port 8080).
printf 'Acquire::http::Proxy "${PROXY_URL}";\nAcquire::http::Proxy::${BRIDGE_ADDR} "DIRECT";\n' > "$R"/etc/apt/apt.conf.d/01lab-proxy
rm -f "$R"/etc/apt/apt.conf.d/99mmdebstrap
# deploy: same key as root (written at up), sudo that asks for a password.
chroot "$R" useradd --create-home --shell /bin/bash --uid 1000 deploy
printf 'deploy ALL=(ALL:ALL) ALL\n' > "$R"/etc/sudoers.d/deploy
chmod 0440 "$R"/etc/sudoers.d/deploy
mkdir -p "$R"/etc/ssh/sshd_config.d
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication no\nUseDNS no\nPermitRootLogin prohibit-password\n' > "$R"/etc/ssh/sshd_config.d/lab.conf
# Quiet, small hosts: no timers that would hit apt behind the tests' backs, journal in memory.
for u in apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service; do
  ln -sf /dev/null "$R"/etc/systemd/system/$u
done
mkdir -p "$R"/etc/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=8M\n' > "$R"/etc/systemd/journald.conf.d/lab.conf
# No python anywhere: the engine must work with a POSIX shell and the base system only.
if [ -e "$R"/usr/bin/python3 ] || ls "$R"/usr/bin/python3* >/dev/null 2>&1; then
  echo "python3 is in the image: the recipe pulled it in" >&2; exit 1
fi
`;

/**
 * The mirror this machine's apt uses (deb822 /etc/apt/sources.list.d/debian.sources), so the image
 * comes from the same place; deb.debian.org if that file is missing.
 */
function mirrors(): string[] {
  const found: Record<string, string> = {};
  try {
    for (const stanza of readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8').split(/\n\s*\n/)) {
      const uri = stanza.match(/^URIs:\s*(\S+)/m)?.[1];
      const suites = stanza.match(/^Suites:\s*(.+)$/m)?.[1].split(/\s+/) ?? [];
      if (/^Types:.*\bdeb\b/m.test(stanza) && uri) for (const s of suites) found[s] ??= uri;
    }
  } catch {}
  const main = found['bookworm'] ?? 'http://deb.debian.org/debian';
  const security = found['bookworm-security'] ?? 'http://deb.debian.org/debian-security';
  return [
    `deb ${main} bookworm main`,
    `deb ${found['bookworm-updates'] ?? main} bookworm-updates main`,
    `deb ${security} bookworm-security main`,
  ];
}
const MIRRORS = mirrors();

function recipeArgs(): string[] {
  return [
    '--variant=minbase',
    '--mode=root',
    '--format=tar',
    `--include=${PACKAGES.join(',')}`,
    `--aptopt=Acquire::http::Proxy "${PROXY_URL}"`,
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--dpkgopt=path-include=/usr/share/locale/locale.alias',
    `--customize-hook=${CUSTOMIZE}`,
    'bookworm',
  ];
}

export function imageKey(): string {
  return createHash('sha256').update(JSON.stringify([recipeArgs(), MIRRORS])).digest('hex').slice(0, 16);
}

export const imageTarball = () => join(CACHE_DIR, `image-${imageKey()}.tar.zst`);
export const imageBase = () => join(CACHE_DIR, `base-${imageKey()}`);

/** Build the tarball if missing (through the lab's apt proxy, so the mirror is hit once). */
export async function ensureImageTarball(log: (m: string) => void): Promise<string> {
  const tarball = imageTarball();
  if (existsSync(tarball)) return tarball;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${tarball}.tmp-${process.pid}`;
  log(`building image ${imageKey()} with mmdebstrap (about a minute, once)`);
  try {
    await run(['mmdebstrap', ...recipeArgs(), tmp + '.tar', ...MIRRORS], { inherit: !!process.env.LAB_VERBOSE });
    await run(['zstd', '-q', '-T0', '-6', '--rm', tmp + '.tar', '-o', tmp]);
    renameSync(tmp, tarball);
  } finally {
    rmSync(tmp + '.tar', { force: true });
    rmSync(tmp, { force: true });
  }
  return tarball;
}

/** The unpacked base every overlay uses as its lower layer. Unpacked once per image key. */
export async function ensureImageBase(log: (m: string) => void): Promise<string> {
  const base = imageBase();
  const rootfs = join(base, 'rootfs');
  if (existsSync(join(base, 'complete'))) return rootfs;
  const tarball = await ensureImageTarball(log);
  log(`unpacking ${tarball}`);
  const tmp = `${base}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'rootfs'), { recursive: true });
  await run(['tar', '--zstd', '-x', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-p', '-C', join(tmp, 'rootfs'), '-f', tarball]);
  writeFileSync(join(tmp, 'complete'), new Date().toISOString() + '\n');
  rmSync(base, { recursive: true, force: true });
  renameSync(tmp, base);
  return rootfs;
}

/** uid/gid of a user in the base image (deploy's files in the overlay must be owned by it). */
export function imageUser(rootfs: string, user: string): { uid: number; gid: number; home: string } {
  const line = readFileSync(join(rootfs, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`user ${user} is not in the image`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
}

/** Drop images and bases of older recipes. Only called by `down`, when no overlay uses a base. */
export function pruneOldImages(): void {
  if (!existsSync(CACHE_DIR)) return;
  const key = imageKey();
  for (const e of readdirSync(CACHE_DIR)) {
    if (/^(image|base)-[0-9a-f]{16}/.test(e) && !e.includes(key)) rmSync(join(CACHE_DIR, e), { recursive: true, force: true });
  }
}
