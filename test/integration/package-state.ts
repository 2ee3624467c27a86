// What a dry run must leave as it was on a host: dpkg's and apt's state, and anything a package
// preview could leave behind (test/integration/packages*.test.ts).
import { sshRun } from '../lab/index.ts';

/** dpkg's and apt's state, and anything a preview could leave behind. */
export async function packageState(host: string): Promise<string> {
  const script = [
    'sha256sum /var/lib/dpkg/status /var/lib/apt/extended_states 2>/dev/null',
    "cd /var/lib/apt && find lists -printf '%p %s %T@ %i\\n' | sort | sha256sum",
    // apt's binary caches aside: on a fresh image the fact gathering's apt-cache policy (not the
    // preview, whose apt calls have no pkgcache) builds them, main's engine as well.
    "find /var/cache/apt /var/lib/dpkg -mindepth 1 ! -name '*pkgcache.bin' -printf '%p %s %T@\\n' | sort | sha256sum",
    'ls -d /var/tmp/shipshape-* /var/lib/apt/lists.shipshape-* 2>/dev/null',
    "find / -xdev -name '*.deb' -newer /etc/hostname 2>/dev/null",
    'getent passwd | sha256sum; getent group | sha256sum',
    'true',
  ].join('; ');
  return (await sshRun(host, script, { user: 'root' })).stdout;
}
