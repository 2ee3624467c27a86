// The engine's wait (a WaitStep): on the host, one exec of the step's shell loop; from the
// controller, TCP connection attempts to the port until it is open (or closed) or the time is up.
// Either way a timeout fails with what was waited for.
import { connect } from 'node:net';
import type { WaitStep } from '../../plan/types.ts';
import type { HostLink } from '../host-link.ts';
import { StepFailed } from '../step-failed.ts';

export async function runWait(step: WaitStep, link: HostLink, become: boolean): Promise<void> {
  const timedOut = () => new StepFailed(`timed out after ${step.timeoutS} s waiting for ${step.what}`);
  if (step.on === 'host') {
    // The loop bounds itself (timeout(1)); the exec's deadline is only a backstop.
    const r = await link.exec(step.script, { become, label: `wait for ${step.what}`, timeoutMs: (step.timeoutS + 60) * 1000 });
    if (r.code === 124) throw timedOut();
    if (r.code !== 0) throw new StepFailed(`waiting for ${step.what} failed (exit ${r.code}): ${r.stderr.toString().trim()}`, r);
    return;
  }
  if (step.delayS) await sleep(step.delayS * 1000);
  const end = Date.now() + step.timeoutS * 1000;
  for (;;) {
    const open = await tryConnect(step.address, step.port, Math.min(5000, Math.max(100, end - Date.now())));
    if (open === (step.state === 'open')) return;
    if (Date.now() >= end) throw timedOut();
    await sleep(step.intervalS * 1000);
  }
}

/** One connection attempt from the controller: true when it connected. */
function tryConnect(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = connect({ host: address, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolveOpen(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
