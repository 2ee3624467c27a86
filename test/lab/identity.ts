// A host's identity, written onto its overlay before its first boot: hostname, machine-id, a fresh
// SSH host key (kept beside the overlay for known_hosts), the lab key for root and deploy, deploy's
// password, and the lab's CAs.
import { randomBytes } from 'node:crypto';
import {
  appendFileSync, chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync,
  rmSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { hostPaths, labPaths } from './paths.ts';
import { imageUser } from './image.ts';
import { run } from './sh.ts';

export interface HostIdentity {
  name: string;
  address: string;
}

export async function writeIdentity(h: HostIdentity, base: string, shadowHash: string): Promise<void> {
  const p = hostPaths(h.name);
  const r = p.root;
  writeFileSync(join(r, 'etc/hostname'), `${h.name}\n`);
  writeFileSync(join(r, 'etc/hosts'), `127.0.0.1\tlocalhost\n${h.address}\t${h.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);

  // A fresh host key made here, so known_hosts is right before the host ever boots.
  const key = join(r, 'etc/ssh/ssh_host_ed25519_key');
  rmSync(key, { force: true });
  rmSync(key + '.pub', { force: true });
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `root@${h.name}`, '-f', key]);
  copyFileSync(key + '.pub', p.hostKeyPub);

  const pub = readFileSync(labPaths.publicKey, 'utf8');
  installKey(join(r, 'root'), pub, 0, 0);
  const deploy = imageUser(base, 'deploy');
  installKey(join(r, deploy.home.slice(1)), pub, deploy.uid, deploy.gid);

  // deploy's password (sudo asks for it): replace the shadow entry's hash field.
  const shadowPath = join(r, 'etc/shadow');
  const shadow = readFileSync(shadowPath, 'utf8')
    .split('\n')
    .map((l) => (l.startsWith('deploy:') ? l.split(':').map((f, i) => (i === 1 ? shadowHash : f)).join(':') : l))
    .join('\n');
  writeFileSync(shadowPath, shadow, { mode: 0o640 });

  // The lab's CAs (Pebble's https listener and its issuing root), trusted as update-ca-certificates would.
  if (existsSync(labPaths.trustDir)) {
    for (const f of readdirSync(labPaths.trustDir)) cpSync(join(labPaths.trustDir, f), join(r, f), { recursive: true, verbatimSymlinks: true });
    const bundle = join(r, 'etc/ssl/certs/ca-certificates.crt');
    for (const f of readdirSync(join(labPaths.trustDir, 'usr/local/share/ca-certificates'))) {
      appendFileSync(bundle, readFileSync(join(labPaths.trustDir, 'usr/local/share/ca-certificates', f)));
    }
  }
  // Last, because its presence in the upper layer is what marks the identity as complete.
  writeFileSync(join(r, 'etc/machine-id'), randomBytes(16).toString('hex') + '\n');
}

function installKey(home: string, pub: string, uid: number, gid: number): void {
  const dir = join(home, '.ssh');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'authorized_keys'), pub, { mode: 0o600 });
  chmodSync(dir, 0o700);
  chownSync(dir, uid, gid);
  chownSync(join(dir, 'authorized_keys'), uid, gid);
}
