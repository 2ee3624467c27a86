// The engine's reboot (a RebootStep): schedules `systemctl reboot` two seconds ahead (so the
// command returns before the connection drops), reconnects until the host answers with another
// boot id, then lets the boot finish (`systemctl is-system-running --wait`) before the next task.
import { shellJoin } from '../../quote.ts';
import type { RebootStep } from '../../plan/types.ts';
import type { HostLink } from '../host-link.ts';
import { StepFailed } from '../step-failed.ts';

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';
/** Returns at once; systemd reboots two seconds later, after this command and its SSH channel are done. */
export const REBOOT_ARGV = ['systemd-run', '--quiet', '--on-active=2', '--timer-property=AccuracySec=100ms', 'systemctl', 'reboot'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bootId(link: HostLink, become: boolean): Promise<string> {
  const r = await link.exec(BOOT_ID, { become, timeoutMs: 15_000, label: 'read the boot id' });
  const id = r.stdout.toString().trim();
  if (r.code !== 0 || !id) throw new StepFailed(`cannot read the boot id (exit ${r.code}): ${r.stderr.toString().trim()}`, r);
  return id;
}

export async function runReboot(step: RebootStep, link: HostLink, become: boolean): Promise<void> {
  const host = link.host.name;
  const before = await bootId(link, become);
  const r = await link.exec(shellJoin(REBOOT_ARGV), { become, timeoutMs: 30_000 });
  if (r.code !== 0) throw new StepFailed(`could not schedule the reboot (exit ${r.code}): ${r.stderr.toString().trim()}`, r);
  const end = Date.now() + step.timeoutS * 1000;
  let last = 'no answer yet';
  // Reconnect until the host answers with another boot id: a reconnection made before the
  // reboot went through still sees the old boot, and is dropped and made again.
  for (;;) {
    await sleep(2000);
    const left = end - Date.now();
    if (left <= 0) throw new StepFailed(`${host} did not come back with a new boot within ${step.timeoutS} s (${last})`);
    try {
      await link.reconnect(left);
      if ((await bootId(link, become)) !== before) break;
      last = 'still the boot from before the reboot';
    } catch (err) {
      last = (err as Error).message;
    }
  }
  // Let the boot finish (services started) before the next task; degraded is still booted.
  const left = Math.max(1, Math.floor((end - Date.now()) / 1000));
  await link.exec(shellJoin(['timeout', String(left), 'systemctl', 'is-system-running', '--wait']), { become, timeoutMs: (left + 10) * 1000 }).catch(() => undefined);
}
