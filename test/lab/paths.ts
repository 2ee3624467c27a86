// Where the lab keeps things. State a test needs (keys, inventory, known_hosts) lives in LAB_DIR;
// the image and the apt cache live under CACHE_DIR so `down` can wipe state without re-downloading.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_DIR = process.env.LAB_DIR ?? '/var/lib/shipshape-lab';
export const CACHE_DIR = '/var/cache/shipshape-lab';
export const LAB_SRC = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(LAB_SRC, '..', '..');

export const BRIDGE = 'labbr0';
export const BRIDGE_ADDR = '10.77.0.1';
export const PREFIX = 24;
export const FIRST_HOST_OCTET = 10;
// Host addresses run from .10 to .249 on the bridge's /24.
export const MAX_HOSTS = 240;
export const PROXY_URL = `http://${BRIDGE_ADDR}:3142`;

export const labPaths = {
  dir: LAB_DIR,
  privateKey: join(LAB_DIR, 'id_ed25519'),
  publicKey: join(LAB_DIR, 'id_ed25519.pub'),
  knownHosts: join(LAB_DIR, 'known_hosts'),
  inventory: join(LAB_DIR, 'inventory.yml'),
  becomePasswordFile: join(LAB_DIR, 'become-password'),
  hostsJson: join(LAB_DIR, 'hosts.json'),
  hostsDir: join(LAB_DIR, 'hosts'),
  runDir: join(LAB_DIR, 'run'),
  gitDir: join(LAB_DIR, 'git'),
  aptDir: join(LAB_DIR, 'apt'),
  trustDir: join(LAB_DIR, 'trust'),
  pebbleDir: join(LAB_DIR, 'pebble'),
};

/** Per-host paths: overlay layers, the launcher's pid file and console log. */
export function hostPaths(name: string) {
  const d = join(labPaths.hostsDir, name);
  return {
    dir: d,
    upper: join(d, 'upper'),
    work: join(d, 'work'),
    root: join(d, 'root'),
    launcherPid: join(d, 'launcher.pid'),
    log: join(d, 'console.log'),
    hostKeyPub: join(d, 'ssh_host_ed25519_key.pub'),
  };
}

export const netnsName = (name: string) => `lab-${name}`;
/** Interface names are limited to 15 bytes, so the root-side veth is named by address, not host name. */
export const vethName = (address: string) => `labv${address.split('.')[3]}`;
export const cgroupName = (name: string) => `lab-${name}`;
export const addressOf = (index: number) => `10.77.0.${FIRST_HOST_OCTET + index}`;
