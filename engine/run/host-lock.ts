// One run per host at a time: the engine holds flock(1) on /run/shipshape/lock for as long as it
// works on the host, through one command kept running for the whole run. A real run takes the lock
// exclusively, a dry run shared (dry runs do not exclude one another, and never see a real run's
// half-done work). A second run waits up to --lock-timeout, then fails that host naming the
// holder. A lock frees itself when its controller is gone: the holding command ends on EOF (the
// controller died: the connection closed) or when no heartbeat came for HEARTBEAT_LOST_S (a cable
// cut, which gives no EOF).
//
// The command that takes the lock also reads the first play's facts once it holds it (`gather`):
// one sudo instead of two, which is most of what an exec costs a host (bench/RESULTS.md), and the
// facts are still read under the lock. They run in their own `sh` on a here-document, under
// `timeout` (which kills their whole process group), and end with a marker line carrying their
// exit status; the holder then waits for heartbeats as before.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ExecResult } from '../connection/types.ts';
import { buildGatherScript } from '../facts/gather.ts';
import type { Fact } from '../facts/types.ts';
import { quote } from '../quote.ts';
import { GatherTimeout } from './gather-facts.ts';
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

/** Facts to read in the locking command, once the lock is held. */
export interface GatherUnderLock {
  facts: readonly Fact[];
  timeoutMs: number;
}

/** The shell lines that run a gather script under the lock and print `END CODE` after it. */
function gatherLines(script: string, timeoutMs: number, end: string): string[] {
  const eof = `SHIPSHAPE_FACTS_${randomBytes(6).toString('hex')}`;
  return [
    `timeout -s KILL ${Math.max(1, Math.ceil(timeoutMs / 1000))} /bin/sh -s <<'${eof}'`,
    script,
    eof,
    `printf '\\n%s %d\\n' '${end}' "$?"`,
  ];
}

export function holderText(playbook: string, check: boolean, started: Date): string {
  return `controller ${hostname()}, pid ${process.pid}, playbook ${playbook}, ${check ? 'dry run' : 'run'} started ${started.toISOString()}`;
}

/** The shell that takes the lock, says so, reads `gather` if given, and holds it while heartbeats come. */
export function lockScript(req: LockRequest, gather?: { script: string; timeoutMs: number; end: string }): string {
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
    ...(gather ? gatherLines(gather.script, gather.timeoutMs, gather.end) : []),
    `while [ "$(timeout ${HEARTBEAT_LOST_S} head -c 1)" = . ]; do :; done`,
    'exit 0',
  ].join('\n');
}

export class HostLockError extends Error {
  override name = 'HostLockError';
}

/** The lock was held, but the facts asked for with it could not be read: `error` says why. */
export class FactsUnderLockError extends Error {
  override name = 'FactsUnderLockError';
  constructor(readonly error: Error) {
    super(error.message);
  }
}

export interface HostLock {
  /** Lets go (ends the holding command's stdin); resolves once the host has released it. */
  release(): Promise<void>;
  /** The facts asked for with the lock (see GatherUnderLock), read while it was held. */
  facts?: Map<string, unknown>;
}

/**
 * Takes the host's lock, and reads `gather`'s facts under it in the same command; resolves once
 * both are done. Rejects, letting go, when the lock could not be taken (HostLockError naming the
 * holder, or the connection's error) or the facts could not be read (FactsUnderLockError).
 */
export function acquireHostLock(link: HostLink, req: LockRequest, gather?: GatherUnderLock): Promise<HostLock> {
  const stdin = new PassThrough();
  // The facts' output may be long and hold UTF-8 split across chunks.
  const decoder = new StringDecoder('utf8');
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
  const facts = gather && gather.facts.length > 0 ? { ...buildGatherScript(gather.facts), keys: gather.facts.map((f) => f.key).join(', '), timeoutMs: gather.timeoutMs } : undefined;
  const end = `__shipshape_facts_end_${randomBytes(6).toString('hex')}__`;
  const endLine = new RegExp(`\\n${end} (\\d+)\\n`);
  return new Promise<HostLock>((resolve, reject) => {
    let held = false;
    let settled = false;
    const fail = (err: Error) => {
      settled = true;
      stop();
      reject(held && !(err instanceof HostLockError) ? new FactsUnderLockError(err) : err);
    };
    /** Once the lock is held and the facts (if any) are in: the heartbeats start. */
    const heldNow = () => {
      const result: HostLock = { release };
      if (facts) {
        const code = Number(endLine.exec(seen)![1]);
        // timeout(1) exits 137 when it had to KILL the facts' shell.
        if (code === 137 || code === 124) return fail(new GatherTimeout(`fact gathering on ${link.host.name} (${facts.keys}) timed out after ${Math.round(facts.timeoutMs / 1000)} s and was killed`));
        if (code !== 0) return fail(new Error(`fact gathering on ${link.host.name} exited ${code}`));
        try {
          result.facts = facts.parse(seen);
        } catch (err) {
          return fail(err as Error);
        }
      }
      settled = true;
      timer = setInterval(() => stdin.write('.'), HEARTBEAT_MS).unref();
      resolve(result);
    };
    done = link.exec(lockScript(req, facts && { script: facts.script, timeoutMs: facts.timeoutMs, end }), {
      stdin,
      become: true,
      label: `lock ${DIR}/lock (${req.exclusive ? 'exclusive' : 'shared'})${facts ? `, then gather facts: ${facts.keys}` : ''}`,
      // The facts' output is the host's state wholesale (see gather-facts.ts): not in the log.
      ...(facts ? { logOutput: false } : {}),
      onStdout: (chunk) => {
        if (settled) return;
        // Only the new text (and a marker's length before it) can complete a marker.
        const from = Math.max(0, seen.length - end.length - 32);
        seen += decoder.write(chunk);
        if (!held && /^locked$/m.test(seen)) held = true;
        if (held && (!facts || endLine.test(seen.slice(from)))) heldNow();
      },
    });
    done.then(
      (r) => {
        if (settled) return;
        const holder = /^held by: (.*)$/m.exec(r.stdout.toString())?.[1];
        const stderr = r.stderr.toString().trim() || 'no message';
        fail(
          held
            ? new Error(`fact gathering on ${link.host.name} ended before its output did (exit ${r.code}): ${stderr}`)
            : new HostLockError(holder ? `${link.host.name} is locked by another run (${holder}); waited ${req.waitS} s (--lock-timeout)` : `could not lock ${link.host.name} (exit ${r.code}): ${stderr}`),
        );
      },
      (err) => {
        if (settled) return;
        fail(err);
      },
    );
  });
}
