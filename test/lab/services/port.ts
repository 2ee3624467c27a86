// Waiting for a TCP listener, used for the bridge services and for the hosts' sshd.
import { connect } from 'node:net';
import { sleep } from '../sh.ts';

/** One attempt: resolves true if something accepts on host:port within timeoutMs. */
export function probePort(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Resolves with the first line a server sends (sshd's banner), or undefined. */
export function readBanner(host: string, port: number, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let buf = '';
    const done = (v: string | undefined) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(undefined));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) done(buf.split('\n')[0].trim());
    });
    s.once('error', () => done(undefined));
    s.once('end', () => done(undefined));
  });
}

export async function waitForPort(host: string, port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probePort(host, port, 500)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not listen on ${host}:${port} within ${timeoutMs} ms`);
}
