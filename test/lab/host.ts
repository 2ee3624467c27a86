// One lab host: an overlay on the shared base, given its own identity (host key, machine-id,
// hostname) before it boots, and a detached launcher that keeps systemd-nspawn running.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync, chmodSync, chownSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync,
  readFileSync, readdirSync, rmSync, writeFileSync, cpSync, statSync,
} from 'node:fs';
import { join } from 'node:path';
import { hostPaths, labPaths, netnsName, LAB_SRC } from './paths.ts';
import { imageUser } from './image.ts';
import { pidAlive } from './daemon.ts';
import { run, sleep } from './sh.ts';
import { cgroupPids, removeCgroups } from './cgroups.ts';

export interface HostIdentity {
  name: string;
  address: string;
}

export function isMounted(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
}

/** Mount the host's overlay; a host seen for the first time (empty upper layer) gets its identity. */
export async function prepareHost(h: HostIdentity, base: string, shadowHash: string): Promise<void> {
  const p = hostPaths(h.name);
  const fresh = !existsSync(join(p.upper, 'etc', 'machine-id'));
  for (const d of [p.upper, p.work, p.root]) mkdirSync(d, { recursive: true });
  if (!isMounted(p.root)) {
    await run(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${base},upperdir=${p.upper},workdir=${p.work}`, p.root]);
  }
  if (fresh) await writeIdentity(h, base, shadowHash);
}

async function writeIdentity(h: HostIdentity, base: string, shadowHash: string): Promise<void> {
  const p = hostPaths(h.name);
  const r = p.root;
  writeFileSync(join(r, 'etc/hostname'), `${h.name}\n`);
  writeFileSync(join(r, 'etc/hosts'), `127.0.0.1\tlocalhost\n${h.address}\t${h.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  writeFileSync(join(r, 'etc/machine-id'), randomBytes(16).toString('hex') + '\n');

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
}

function installKey(home: string, pub: string, uid: number, gid: number): void {
  const dir = join(home, '.ssh');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'authorized_keys'), pub, { mode: 0o600 });
  chmodSync(dir, 0o700);
  chownSync(dir, uid, gid);
  chownSync(join(dir, 'authorized_keys'), uid, gid);
}

export function launcherPid(name: string): number | undefined {
  const f = hostPaths(name).launcherPid;
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return pidAlive(pid, 'launcher.sh') ? pid : undefined;
}

/** Start the host's launcher, detached so `up` returns while the host keeps running. */
export async function bootHost(name: string): Promise<void> {
  if (launcherPid(name)) return;
  const p = hostPaths(name);
  rmSync(p.launcherPid, { force: true });
  const out = openSync(p.log, 'a');
  const child = spawn('/bin/sh', [join(LAB_SRC, 'launcher.sh'), name, p.root, netnsName(name), p.launcherPid], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  // The launcher writes its pid once it sits in its own cgroups; wait for that so a following
  // kill/down finds it.
  for (let i = 0; i < 100 && !existsSync(p.launcherPid); i++) await sleep(20);
}

/** Hard power-off: the launcher first (so it cannot relaunch), then everything in the host's cgroup. */
export async function killHost(name: string): Promise<void> {
  const lp = launcherPid(name);
  if (lp) process.kill(lp, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    const pids = cgroupPids(name);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(50);
  }
  rmSync(hostPaths(name).launcherPid, { force: true });
}

/** Clean power-off: SIGTERM to nspawn makes the guest's systemd shut down; the launcher then exits. */
export async function stopHost(name: string, timeoutMs = 10_000): Promise<void> {
  const lp = launcherPid(name);
  if (lp) {
    const nspawn = childrenOf(lp);
    for (const pid of nspawn) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && cgroupPids(name).length > 0) await sleep(100);
  }
  await killHost(name);
}

/**
 * Clean restart: ask the guest's systemd to reboot (SIGINT = ctrl-alt-del); nspawn exits 133 and the
 * launcher starts a new one. Resolves once the new nspawn runs, so a caller waiting for SSH next
 * cannot reach the old boot's sshd.
 */
export async function rebootHost(name: string, timeoutMs = 30_000): Promise<void> {
  const lp = launcherPid(name);
  if (!lp) return bootHost(name);
  const nspawn = childrenOf(lp)[0];
  const init = nspawn && childrenOf(nspawn)[0];
  if (!init) throw new Error(`${name}: no container init found under launcher ${lp}`);
  process.kill(init, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = childrenOf(lp)[0];
    if (now && now !== nspawn) return;
    if (!launcherPid(name)) throw new Error(`${name}: launcher ended instead of rebooting (see ${hostPaths(name).log})`);
    await sleep(50);
  }
  throw new Error(`${name}: did not reboot within ${timeoutMs} ms`);
}

export function childrenOf(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    return tasks.flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** Unmount and forget a host's overlay (its disk): after this the host is fresh again. */
export async function wipeHost(name: string): Promise<void> {
  const p = hostPaths(name);
  if (isMounted(p.root)) {
    // nspawn locks the image by inode and leaves the lock file behind when it is killed.
    const st = statSync(p.root);
    rmSync(`/run/systemd/nspawn/locks/inode-${st.dev}:${st.ino}`, { force: true });
    await run(['umount', p.root]);
  }
  removeCgroups(name);
  rmSync(p.dir, { recursive: true, force: true });
}

export async function unmountHost(name: string): Promise<void> {
  const p = hostPaths(name);
  if (isMounted(p.root)) await run(['umount', p.root]);
}
