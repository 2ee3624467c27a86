// Reaching lab hosts with the real OpenSSH client and strict host-key checking against the lab's
// known_hosts: the same trust path the engine uses, so a wrong key fails here as it would there.
import { labPaths } from './paths.ts';
import { readState } from './state.ts';
import { run, sleep, pool, type RunResult } from './sh.ts';
import { readBanner } from './services/port.ts';

export interface SshOptions {
  user?: 'deploy' | 'root';
  /** Written to the remote command's stdin (e.g. the sudo password for `sudo -S`). */
  input?: string;
  timeoutMs?: number;
  /** Throw on a non-zero exit (default false: the caller reads `code`). */
  check?: boolean;
}

export function hostAddress(name: string): string {
  const h = readState().hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no lab host named ${name} (is the lab up?)`);
  return h.address;
}

export function sshArgs(address: string, user: string): string[] {
  return [
    'ssh', '-F', 'none',
    '-i', labPaths.privateKey, '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${labPaths.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
    `${user}@${address}`,
  ];
}

/** Run a shell command on a lab host. `host` is a lab host name or an address. */
export function sshRun(host: string, command: string, opts: SshOptions = {}): Promise<RunResult> {
  const address = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : hostAddress(host);
  return run([...sshArgs(address, opts.user ?? 'deploy'), command], {
    input: opts.input ?? '',
    allowFail: !opts.check,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}

/** Wait until every host's sshd answers and a strict, key-based login as root succeeds. */
export async function waitSshReady(hosts: { name: string; address: string }[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const failures: string[] = [];
  await pool(hosts, 64, async (h) => {
    let last = '';
    while (Date.now() < deadline) {
      const banner = await readBanner(h.address, 22, 1000);
      if (banner?.startsWith('SSH-2.0')) {
        // As deploy, not root: a host a playbook has hardened (root login off) is still ready.
        const r = await sshRun(h.address, 'true', { user: 'deploy', timeoutMs: 15_000 });
        if (r.code === 0) return;
        last = r.stderr.trim();
      }
      await sleep(150);
    }
    failures.push(`${h.name} (${h.address})${last ? ': ' + last : ''}`);
  });
  if (failures.length) throw new Error(`hosts not SSH-ready within ${timeoutMs} ms: ${failures.join('; ')}`);
}
