// Powering a host on and off: a detached launcher (launcher.sh) keeps systemd-nspawn running;
// every process of a host sits in its cgroup lab-NAME, which is how a hard power-off finds them all.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostPaths, netnsName, LAB_SRC } from './paths.ts';
import { pidAlive } from './daemon.ts';
import { sleep } from './sh.ts';
import { cgroupPids } from './cgroups.ts';

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
