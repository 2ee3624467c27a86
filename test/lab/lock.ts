// One lab per machine, and several processes (test files, the CLI, benchmarks) may act on it at
// once: every state-changing operation runs under a lock file holding the owner's pid. A lock whose
// owner died is taken over. Calls nested inside a locked operation pass through (AsyncLocalStorage,
// so concurrent calls of one process still wait for each other).
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { labPaths } from './paths.ts';
import { pidAlive } from './daemon.ts';
import { sleep } from './sh.ts';

const lockFile = () => join(labPaths.dir, 'lock');
const inside = new AsyncLocalStorage<true>();

export async function withLabLock<T>(what: string, fn: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  if (inside.getStore()) return fn();
  await acquire(what, timeoutMs);
  try {
    return await inside.run(true, fn);
  } finally {
    release();
  }
}

async function acquire(what: string, timeoutMs: number): Promise<void> {
  mkdirSync(labPaths.dir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockFile(), 'wx');
      writeSync(fd, `${process.pid}\n${what}\n`);
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(lockFile(), 'utf8').split('\n')[0]);
    } catch {
      continue; // released meanwhile
    }
    if (!pidAlive(owner)) {
      rmSync(lockFile(), { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`lab is busy: pid ${owner} holds ${lockFile()} (${what} waited ${timeoutMs} ms)`);
    await sleep(200);
  }
}

function release(): void {
  try {
    if (Number(readFileSync(lockFile(), 'utf8').split('\n')[0]) === process.pid) rmSync(lockFile(), { force: true });
  } catch {}
}
