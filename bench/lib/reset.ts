// Fresh hosts for cold runs: the lab's reset (power off, wipe the disk, new identity and host key,
// boot, wait for SSH), several hosts at once, then a wait for each boot to be over. Timing of the runs
// is not affected: resets happen between measured runs, never during one.
import { resetHosts as resetLabHosts, sshRun } from '../../test/lab/index.ts';
import { pool } from '../../test/lab/sh.ts';

export async function resetHosts(names: string[]): Promise<void> {
  await resetLabHosts(names);
  // A host whose boot is still running (units starting) would slow whichever tool runs first: wait
  // until each one's systemd says the boot is over, so every cold run starts on a settled host.
  await pool(names, 16, (n) => sshRun(n, 'systemctl is-system-running --wait >/dev/null 2>&1; true', { timeoutMs: 120_000 }));
}
