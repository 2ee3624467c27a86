// A LocalIO that runs every command with the local /bin/sh (stdin may be a stream), for testing the
// engine's steps that reach another host (a transfer's source) without hosts. `calls` records each
// command and the host it was meant for.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { LocalIO } from '../../../engine/plan/types.ts';

export interface ShellIO extends LocalIO {
  calls: Array<{ host: string; command: string; logOutput?: boolean }>;
  /** A command on the task's own host (`host`), for tests that run a script directly. */
  exec: (command: string, opts?: { stdin?: Buffer | string | NodeJS.ReadableStream; logOutput?: boolean }) => Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>;
}

export function shellIO(host = 'web1'): ShellIO {
  const calls: ShellIO['calls'] = [];
  const run = (on: string, command: string, stdin?: Buffer | string | NodeJS.ReadableStream, logOutput?: boolean) =>
    new Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>((resolve, reject) => {
      calls.push({ host: on, command, ...(logOutput === undefined ? {} : { logOutput }) });
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b) => out.push(b));
      child.stderr.on('data', (b) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
      child.stdin.on('error', () => {});
      if (stdin === undefined) child.stdin.end();
      else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) child.stdin.end(stdin);
      else (stdin as Readable).pipe(child.stdin);
    });
  return {
    calls,
    exec: (command, opts) => run(host, command, opts?.stdin, opts?.logOutput),
    execOn: (other, command, opts) => run(other, command, opts?.stdin, opts?.logOutput),
  };
}
