// A HostLink whose host is this machine: each exec runs with the local /bin/sh (dash, as on
// Debian), stdin a buffer or a stream, so the executor's real shell text and framing are tested
// without a connection. `execs` records what was sent.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ExecResult } from '../../engine/connection/types.ts';
import type { HostLink, LinkExecOptions } from '../../engine/run/host-link.ts';

export interface LocalLink extends HostLink {
  execs: Array<{ command: string; label?: string }>;
}

export function localLink(): LocalLink {
  const execs: LocalLink['execs'] = [];
  const link = {
    execs,
    host: { name: 'localhost', become: {} },
    exec(command: string, opts: LinkExecOptions = {}): Promise<ExecResult> {
      execs.push({ command, label: opts.label });
      return new Promise((resolve, reject) => {
        // detached: its own process group, as an exec has on a host (sshd starts each session with setsid).
        const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, ...(signal ? { signal } : {}), stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
        // The host may stop reading early (a refused write): a broken pipe is its answer, not ours.
        child.stdin.on('error', () => {});
        const stdin = opts.stdin;
        if (stdin === undefined) child.stdin.end();
        else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) child.stdin.end(stdin);
        else (stdin as Readable).pipe(child.stdin);
      });
    },
  };
  return link as unknown as LocalLink;
}
