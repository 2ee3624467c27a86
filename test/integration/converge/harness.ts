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

export async function runCase(c: ConvergeCase, host: string): Promise<void> {
  await freshHosts(host);
  await c.controller?.();
  if (c.prepare) await root(host, c.prepare);
  const logDir = mkdtempSync(join(tmpdir(), 'ss-converge-'));
  try {
    const extra = Object.entries(c.vars ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const cycle = await exactCycle(PLAYBOOK, { limit: host, extra, env: { SS_CONVERGE_CASE: c.name }, failing: Boolean(c.fails), logDir });
    // A converged host costs the lock and one exec reading every fact of the play (README).
    if (!c.fails || c.fails.task) assert.equal(recap(cycle.again).roundTrips[host], 2, `the second run's SSH execs (lock + facts); it sent: ${cycle.againCommands.join(' | ')}`);
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
    assert.equal(await root(host, c.readBack), c.want, 'the end state read back from the host');
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** Hands out the case hosts, one case per host at a time. */
export class HostPool {
  readonly #free: string[];
  readonly #waiting: Array<(host: string) => void> = [];
  constructor(hosts: string[]) {
    this.#free = [...hosts];
  }
  async with<T>(fn: (host: string) => Promise<T>): Promise<T> {
    const host = this.#free.pop() ?? (await new Promise<string>((r) => this.#waiting.push(r)));
    try {
      return await fn(host);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(host);
      else this.#free.push(host);
    }
  }
}
