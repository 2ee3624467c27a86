// "commit confirmed" for sshd (as on Juniper routers): after a task or handler restarts, reloads,
// starts or stops ssh, the engine logs in anew with the inventory's credentials before it goes on.
// If that fails, it puts back the sshd files this run changed (their previous content was kept,
// see execute.ts decidesLogin), restarts ssh again over the connection it still holds, and fails
// the host, saying what it did and whether a fresh login works again.
import { quote, shellJoin } from '../quote.ts';
import type { RunStep, Step } from '../plan/types.ts';
import type { PreviousFile } from './execute.ts';
import type { HostLink } from './host-link.ts';

const SSH_UNIT = /^(ssh|sshd|openssh-server)(\.service|\.socket)?$/;
const SYSTEMCTL_VERBS = new Set(['start', 'stop', 'restart', 'reload', 'try-restart', 'reload-or-restart', 'try-reload-or-restart', 'condrestart', 'force-reload']);

/** Whether a step (re)starts, reloads or stops sshd: the ways a running sshd takes a new configuration. */
export function touchesSshd(step: Step): step is RunStep {
  if (step.kind !== 'run') return false;
  if (step.shell !== undefined) return /\b(systemctl|service)\b[^\n;|&]*\b(ssh|sshd)(\.service)?\b/.test(step.shell) && /\b(start|stop|restart|reload)/.test(step.shell);
  const [program, ...args] = step.argv;
  const name = program?.split('/').pop();
  if (name === 'systemctl') {
    const words = args.filter((a) => !a.startsWith('-'));
    return SYSTEMCTL_VERBS.has(words[0] ?? '') && words.slice(1).some((u) => SSH_UNIT.test(u));
  }
  if (name === 'service') return args.length >= 2 && SSH_UNIT.test(args[0]!) && SYSTEMCTL_VERBS.has(args[1]!);
  return false;
}

export class LoginLost extends Error {
  override name = 'LoginLost';
}

/**
 * Probes a fresh login after `steps` ran; on failure rolls `journal` back (newest first), runs the
 * sshd steps again and throws LoginLost describing it all. On success the journal's copies go.
 */
export async function confirmLogin(link: HostLink, steps: readonly RunStep[], journal: PreviousFile[], become: boolean): Promise<void> {
  try {
    await link.probeLogin();
  } catch (err) {
    const why = (err as Error).message;
    const files = [...journal].reverse();
    const restore = files.map((f) =>
      f.previous === 'absent' ? shellJoin(['rm', '-f', '--', f.path]) : `cp -p -- ${quote(f.previous)} ${quote(`${f.path}.shipshape-restore`)} && mv -f -T -- ${quote(`${f.path}.shipshape-restore`)} ${quote(f.path)}`,
    );
    const again = steps.map((s) => (s.shell !== undefined ? s.shell : shellJoin(s.argv)));
    const script = [...restore, ...again].join(' && ');
    const put = files.length > 0 ? `put back the previous ${files.map((f) => f.path).join(', ')} and ran ${again.join('; ')} again` : `changed no sshd file in this run, so ran ${again.join('; ')} again`;
    let now: string;
    try {
      const r = await link.exec(script || 'true', { become, label: `restore sshd: ${put}`, timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.toString().trim()}`);
      try {
        await link.probeLogin();
        now = 'a fresh login works again';
      } catch (e2) {
        now = `a fresh login still fails: ${(e2 as Error).message}`;
      }
    } catch (e) {
      now = `putting it back failed: ${(e as Error).message}`;
    }
    throw new LoginLost(`a fresh login to ${link.host.name} failed after ${again.join('; ')}: ${why}. The engine ${put}: ${now}`);
  }
  if (journal.length > 0) {
    const copies = journal.map((f) => f.previous).filter((p) => p !== 'absent');
    journal.length = 0;
    if (copies.length > 0) await link.exec(shellJoin(['rm', '-f', '--', ...copies]), { become, label: 'drop the kept sshd files (login confirmed)' }).catch(() => undefined);
  }
}
