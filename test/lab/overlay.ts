// A host's disk: an overlay whose upper layer is the host's own, on the shared read-only base.
// Wiping the upper layer makes the host fresh again.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hostPaths } from './paths.ts';
import { run } from './sh.ts';
import { removeCgroups } from './cgroups.ts';
import { writeIdentity, type HostIdentity } from './identity.ts';

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
