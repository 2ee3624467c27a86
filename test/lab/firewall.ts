// A host's network namespace outlives its disk: firewall rules a playbook set (ufw, fail2ban's bans)
// would still hold on a "fresh" host after a reset. They are flushed with the old guest's own
// iptables (the controller has none) while it still runs. A host that never had a firewall: nothing.
import { readFileSync } from 'node:fs';
import { cgroupPids } from './cgroups.ts';
import { run } from './sh.ts';

const FLUSH = 'for t in iptables ip6tables; do command -v $t >/dev/null || continue; for tb in filter nat mangle raw; do $t -t $tb -F; $t -t $tb -X; done 2>/dev/null; $t -P INPUT ACCEPT; $t -P FORWARD ACCEPT; $t -P OUTPUT ACCEPT; done; true';

export async function flushFirewall(name: string): Promise<void> {
  const init = guestInit(name);
  if (!init) return;
  await run(['nsenter', '-t', String(init), '-m', '-n', 'sh', '-c', FLUSH], { allowFail: true, timeoutMs: 30_000 });
}

/** The pid of the guest's systemd (pid 1 in the container), from the host's cgroup. */
function guestInit(name: string): number | undefined {
  for (const pid of cgroupPids(name)) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd' && /NSpid:\s+\d+\s+1\b/.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return pid;
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}
