// One run per host at a time: the engine holds flock(1) on /run/shipshape/lock for as long as it
// works on the host, through one command kept running for the whole run. A real run takes the lock
// exclusively, a dry run shared (dry runs do not exclude one another, and never see a real run's
// half-done work). A second run waits up to --lock-timeout, then fails that host naming the
// holder. A lock frees itself when its controller is gone: the holding command ends on EOF (the
// controller died: the connection closed) or when no heartbeat came for HEARTBEAT_LOST_S (a cable
// cut, which gives no EOF).
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type { ExecResult } from '../connection/types.ts';
import { quote } from '../quote.ts';
import type { HostLink } from './host-link.ts';

const DIR = '/run/shipshape';
/** The controller sends a byte this often... */
const HEARTBEAT_MS = 10_000;
/** ...and the host lets go when none came for this long. */
const HEARTBEAT_LOST_S = 35;

export interface LockRequest {
  exclusive: boolean;
  /** Seconds to wait for another run's lock. */
  waitS: number;
  /** What the holder file says about this run (controller, pid, playbook, start). */
  holder: string;
}

export function holderText(playbook: string, check: boolean, started: Date): string {
  return `controller ${hostname()}, pid ${process.pid}, playbook ${playbook}, ${check ? 'dry run' : 'run'} started ${started.toISOString()}`;
}

/** The shell that takes the lock, says so, and holds it while heartbeats come. */
export function lockScript(req: LockRequest): string {
  const mode = req.exclusive ? '-x' : '-s';
  return [
    'umask 022',
    `d=${DIR}`,
    '[ -d "$d" ] || mkdir -m 0755 "$d" 2>/dev/null',
    // Only root may have made it: nobody else can have put a link where the lock file goes.
    `if [ -L "$d" ] || [ ! -d "$d" ] || [ "$(stat -c %u -- "$d")" != 0 ]; then echo "shipshape: $d is not a folder of root's" >&2; exit 70; fi`,
    'exec 9>>"$d/lock" || exit 70',
    `if ! flock -n ${mode} 9; then`,
    `  printf 'waiting\\n'`,
    `  flock -w ${Math.max(0, Math.round(req.waitS))} ${mode} 9 || { printf 'held by: %s\\n' "$(cat "$d/holder" 2>/dev/null || echo unknown)"; exit 75; }`,
    'fi',
    `printf '%s\\n' ${quote(req.holder)} > "$d/holder"`,
    `printf 'locked\\n'`,
    `while [ "$(timeout ${HEARTBEAT_LOST_S} head -c 1)" = . ]; do :; done`,
    'exit 0',
  ].join('\n');
}

export class HostLockError extends Error {
  override name = 'HostLockError';
}

export interface HostLock {
  /** Lets go (ends the holding command's stdin); resolves once the host has released it. */
  release(): Promise<void>;
}

/** Takes the host's lock; resolves once held, rejects (HostLockError naming the holder) when not. */
export function acquireHostLock(link: HostLink, req: LockRequest): Promise<HostLock> {
  const stdin = new PassThrough();
  let seen = '';
  let timer: NodeJS.Timeout | undefined;
  let done: Promise<ExecResult> = Promise.resolve({ code: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
  const stop = () => {
    clearInterval(timer);
    stdin.end();
  };
  const release = async () => {
    stop();
    await done.catch(() => {});
  };
  return new Promise<HostLock>((resolve, reject) => {
    let held = false;
    done = link.exec(lockScript(req), {
      stdin,
      become: true,
      label: `lock ${DIR}/lock (${req.exclusive ? 'exclusive' : 'shared'})`,
      onStdout: (chunk) => {
        seen += chunk.toString();
        if (!held && /^locked$/m.test(seen)) {
          held = true;
          timer = setInterval(() => stdin.write('.'), HEARTBEAT_MS).unref();
          resolve({ release });
        }
      },
    });
    done.then(
      (r) => {
        if (held) return;
        stop();
        const holder = /^held by: (.*)$/m.exec(r.stdout.toString())?.[1];
        reject(
          new HostLockError(
            holder
              ? `${link.host.name} is locked by another run (${holder}); waited ${req.waitS} s (--lock-timeout)`
              : `could not lock ${link.host.name} (exit ${r.code}): ${r.stderr.toString().trim() || 'no message'}`,
          ),
        );
      },
      (err) => {
        stop();
        if (!held) reject(err);
      },
    );
  });
}
