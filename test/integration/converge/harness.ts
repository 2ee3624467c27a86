// Runs one convergence case on one lab host: the host reset to fresh, put in the case's starting
// state, then the exact cycle (cycle.ts: the dry run says task for task what the real run does; a
// second run changes nothing and sends no changing command), then the end state read back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exactCycle, outcomes } from '../cycle.ts';
import { recap } from '../engine-cli.ts';
import { freshHosts } from '../lab-fixture.ts';
import { sshRun } from '../../lab/index.ts';
import type { ConvergeCase } from './case.ts';

export const PLAYBOOK = 'test/integration/converge/playbook.ts';

async function root(host: string, cmd: string): Promise<string> {
  const r = await sshRun(host, cmd, { user: 'root' });
  assert.equal(r.code, 0, `on ${host}: ${cmd}\nexit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** How many hosts a case takes from the pool: its own, and its peer's if it has one. */
export const hostsFor = (c: ConvergeCase): number => (c.peer ? 2 : 1);

/** `hosts`: the case's host first, then its peer when the case has one (see hostsFor). */
export async function runCase(c: ConvergeCase, hosts: string[]): Promise<void> {
  const [host, peer] = hosts as [string, string | undefined];
  assert.equal(hosts.length, hostsFor(c), `the case takes ${hostsFor(c)} host(s)`);
  await freshHosts(...hosts);
  await c.controller?.();
  if (c.prepare) await root(host, c.prepare);
  if (peer && c.peer?.prepare) await root(peer, c.peer.prepare);
  const logDir = mkdtempSync(join(tmpdir(), 'ss-converge-'));
  try {
    const vars = { ...c.vars, ...(peer ? { peer } : {}) };
    const extra = Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const cycle = await exactCycle(PLAYBOOK, { limit: host, extra, env: { SS_CONVERGE_CASE: c.name }, failing: Boolean(c.fails), logDir });
    // A converged host costs one exec: the lock, which reads every fact of the play (README).
    if (!c.fails || c.fails.task) assert.equal(recap(cycle.again).roundTrips[host], 1, `the second run's SSH execs (the lock, which reads the facts); it sent: ${cycle.againCommands.join(' | ')}`);
    const real = outcomes(cycle.real);
    assert.deepEqual(real.filter((o) => o.status === 'changed').map((o) => o.task), c.changed, 'the real run changes the tasks the case names');
    if (c.fails) {
      for (const run of [cycle.dry, cycle.real]) {
        const ran = outcomes(run);
        if (c.fails.task) {
          const failed = ran.find((o) => o.status === 'failed');
          assert.equal(failed?.task, c.fails.task, 'the task that fails');
          assert.match(failed?.msg ?? '', c.fails.msg);
        } else {
          assert.deepEqual(ran, [], 'refused before any task runs');
          assert.match(run.stdout + run.stderr, c.fails.msg);
        }
      }
    }
    assert.equal(await root(host, peer ? `PEER=${peer}; ${c.readBack}` : c.readBack), c.want, 'the end state read back from the host');
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * Hands out the case hosts, one case per host at a time. A case that needs `count` hosts gets them
 * all at once (taking one and waiting for the next could deadlock cases that each hold one); the
 * waiters are served in order, so a two-host case is not starved by one-host cases behind it.
 */
export class HostPool {
  readonly #free: string[];
  readonly #size: number;
  readonly #waiting: Array<{ count: number; take: (hosts: string[]) => void }> = [];
  constructor(hosts: string[]) {
    this.#free = [...hosts];
    this.#size = hosts.length;
  }
  async with<T>(count: number, fn: (hosts: string[]) => Promise<T>): Promise<T> {
    if (count < 1 || count > this.#size) throw new Error(`a case asks for ${count} hosts; the pool has ${this.#size}`);
    const hosts = this.#waiting.length === 0 && this.#free.length >= count
      ? this.#free.splice(-count).reverse()
      : await new Promise<string[]>((take) => this.#waiting.push({ count, take }));
    try {
      return await fn(hosts);
    } finally {
      this.#free.push(...hosts.reverse());
      while (this.#waiting.length > 0 && this.#free.length >= this.#waiting[0]!.count) {
        const next = this.#waiting.shift()!;
        next.take(this.#free.splice(-next.count).reverse());
      }
    }
  }
}
