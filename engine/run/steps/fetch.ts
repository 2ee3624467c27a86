// The engine's fetch (a FetchStep): a host's file onto the controller, streamed in chunks (the
// controller holds at most two), into a 0600 temp file beside dest created with O_EXCL, synced,
// checked against the size and sha256 the host reported when it started, given its mode (never
// setuid/setgid/sticky unless asked: a compromised host must not plant one), and renamed.
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FetchStep } from '../../plan/types.ts';
import { sourceInfo, sourceStream, withoutSpecialBits } from '../host-stream.ts';
import type { HostLink } from '../host-link.ts';
import { StepFailed } from '../step-failed.ts';

export async function runFetch(step: FetchStep, link: HostLink, become: boolean, timeoutMs: number | undefined): Promise<void> {
  if (step.chmodOnly) {
    await chmod(step.dest, parseInt(step.mode!, 8));
    return;
  }
  const host = link.host.name;
  const onHost = (command: string, o?: { logOutput?: boolean }) => link.exec(command, { become, ...(timeoutMs ? { timeoutMs } : {}), ...o });
  const info = await sourceInfo(onHost, step.src, host);
  await mkdir(dirname(step.dest), { recursive: true });
  const tmp = join(dirname(step.dest), `.${basename(step.dest)}.shipshape-${process.pid}-${Date.now()}`);
  try {
    const source = sourceStream(onHost, step.src, info.size, host);
    await pipeline(source.stream, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    const written = await open(tmp, 'r');
    await written.sync().finally(() => written.close());
    await chmod(tmp, parseInt(step.mode ?? withoutSpecialBits(info.mode), 8));
    const passed = source.result();
    if (passed.error) throw new StepFailed(`fetch of ${host}:${step.src} failed: ${passed.error.message}`);
    if (passed.sha256 !== info.sha256 || passed.bytes !== info.size) {
      throw new StepFailed(`sha256 of the received file is ${passed.sha256} (${passed.bytes} bytes), expected ${info.sha256} (${info.size} bytes): ${step.src} changed during the fetch?`);
    }
    await rename(tmp, step.dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
