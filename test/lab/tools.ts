// The lab installs what it needs from Debian's archive, and nothing from anywhere else.
import { have, run } from './sh.ts';

/** Command the lab calls -> the Debian package that provides it. */
const TOOLS: Record<string, string> = {
  mmdebstrap: 'mmdebstrap',
  'systemd-nspawn': 'systemd-container',
  'apt-cacher-ng': 'apt-cacher-ng',
  zstd: 'zstd',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  ip: 'iproute2',
  pebble: 'pebble',
  git: 'git',
  'dpkg-scanpackages': 'dpkg-dev',
  openssl: 'openssl',
  'apt-ftparchive': 'apt-utils',
};

export async function ensureTools(log: (m: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the lab runs as root (it creates namespaces, mounts and containers)');
  const missing = new Set<string>();
  for (const [cmd, pkg] of Object.entries(TOOLS)) if (!(await have(cmd))) missing.add(pkg);
  if (missing.size === 0) return;
  const pkgs = [...missing];
  log(`installing ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run(['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs], { env, allowFail: true });
  let r = await install();
  if (r.code !== 0) {
    // A fresh machine may have empty package lists: refresh once and retry.
    await run(['apt-get', 'update'], { env });
    r = await install();
    if (r.code !== 0) throw new Error(`apt-get install ${pkgs.join(' ')} failed:\n${r.stderr}`);
  }
  // Debian starts apt-cacher-ng's own daemon on install (when it can); the lab runs its own instance.
  await run(['sh', '-c', 'command -v service >/dev/null && service apt-cacher-ng stop || true'], { allowFail: true });
}
