// The convergence harness (issue 16): every row of every table in cases/ on a freshly reset conv
// host, three cases at a time (one per host). See harness.ts for the three checks.
import { before, describe, test } from 'node:test';
import { ensureLab, LAB_GROUPS } from '../lab-fixture.ts';
import { ALL_CASES } from './cases/index.ts';
import { HostPool, hostsFor, runCase } from './harness.ts';

const pool = new HostPool(LAB_GROUPS.conv);

describe('convergence harness', { timeout: 1_200_000, concurrency: LAB_GROUPS.conv.length }, () => {
  before(async () => {
    await ensureLab();
  });
  for (const c of ALL_CASES) test(c.name, { timeout: 180_000 }, () => pool.with(hostsFor(c), (hosts) => runCase(c, hosts)));
});
