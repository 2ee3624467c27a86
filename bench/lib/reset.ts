// Fresh hosts for cold runs. The lab's resetHost does one host at a time under the lab lock
// (2-3 s each); at 50 hosts and a dozen cold runs that is most of the bench's time, so this does the
// same steps as resetHost (power off, wipe the disk, new identity and host key, boot, wait for SSH)
// for several hosts at once, under the same lock. Timing of the runs is not affected: resets happen
// between measured runs, never during one.
import { bootHost, killHost } from '../../test/lab/power.ts';
import { prepareHost, wipeHost } from '../../test/lab/overlay.ts';
import { readState, writeState } from '../../test/lab/state.ts';
import { ensureImageBase } from '../../test/lab/image.ts';
import { ensurePassword } from '../../test/lab/secrets.ts';
import { sshRun, waitSshReady } from '../../test/lab/ssh.ts';
import { withLabLock } from '../../test/lab/lock.ts';
import { pool, run } from '../../test/lab/sh.ts';
import { cgroupPids } from '../../test/lab/cgroups.ts';
import { readFileSync } from 'node:fs';

export async function resetHosts(names: string[]): Promise<void> {
  await withLabLock('bench resetHosts', async () => {
    const all = readState().hosts;
    const hosts = names.map((n) => {
      const h = all.find((x) => x.name === n);
      if (!h) throw new Error(`no lab host named ${n}`);
      return h;
    });
    const base = await ensureImageBase(() => {});
    const hash = await ensurePassword();
    await pool(hosts, 8, async (h) => {
      await flushFirewall(h.name);
      await killHost(h.name);
      await wipeHost(h.name);
      await prepareHost(h, base, hash);
    });
    writeState(readState()); // known_hosts gets the new keys before the hosts boot
    for (const h of hosts) await bootHost(h.name);
    writeState(readState());
    await waitSshReady(hosts, 120_000);
  });
  // A host whose boot is still running (units starting) would slow whichever tool runs first: wait
  // until each one's systemd says the boot is over, so every cold run starts on a settled host.
  await pool(names, 16, (n) => sshRun(n, 'systemctl is-system-running --wait >/dev/null 2>&1; true', { timeoutMs: 120_000 }));
}

/**
 * A host's network namespace outlives its disk: firewall rules a playbook set (ufw, fail2ban's bans)
 * would still be there on the "fresh" host. They are flushed with the old guest's own iptables
 * (the controller has none) before it is powered off. Hosts that never had a firewall: nothing to do.
 */
async function flushFirewall(name: string): Promise<void> {
  const init = guestInit(name);
  if (!init) return;
  const script = 'for t in iptables ip6tables; do command -v $t >/dev/null || continue; for tb in filter nat mangle raw; do $t -t $tb -F; $t -t $tb -X; done 2>/dev/null; $t -P INPUT ACCEPT; $t -P FORWARD ACCEPT; $t -P OUTPUT ACCEPT; done; true';
  await run(['nsenter', '-t', String(init), '-m', '-n', 'sh', '-c', script], { allowFail: true, timeoutMs: 30_000 });
}

/** The pid of the guest's systemd (pid 1 in the container), from the host's cgroup. */
function guestInit(name: string): number | undefined {
  for (const pid of cgroupPids(name)) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd' && readFileSync(`/proc/${pid}/status`, 'utf8').match(/NSpid:\s+\d+\s+1\b/)) return pid;
    } catch {}
  }
  return undefined;
}
