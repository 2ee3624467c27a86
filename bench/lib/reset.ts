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
import { pool } from '../../test/lab/sh.ts';
import { flushFirewall } from '../../test/lab/firewall.ts';

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
