// The standard proof for a module or playbook on lab hosts: a dry run first, then the real run,
// then the real run again, then a dry run. The dry run must list exactly the (host, task) pairs the
// real run changes; the second run and the last dry run must change nothing.
import assert from 'node:assert/strict';
import { assertDryMatchesReal, engine, pairs, type CliResult } from './engine-cli.ts';
import { labPaths } from '../lab/index.ts';

export interface CycleResult {
  dry: CliResult;
  real: CliResult;
  again: CliResult;
  changed: string[];
}

export async function applyCycle(playbook: string, opts: { limit: string; extra?: string[]; env?: Record<string, string> }): Promise<CycleResult> {
  const args = (more: string[]) => ['run', playbook, '-i', labPaths.inventory, '--limit', opts.limit, '--json', ...(opts.extra ?? []), ...more];
  const dry = await engine(args(['--check']), { env: opts.env });
  assert.equal(dry.code, 0, `dry run failed:\n${dry.stdout}\n${dry.stderr}`);
  const real = await engine(args([]), { env: opts.env });
  assert.equal(real.code, 0, `real run failed:\n${real.stdout}\n${real.stderr}`);
  assertDryMatchesReal(dry, real, 'the dry run predicted exactly what the real run changed (or said it could not know)');
  const again = await engine(args([]), { env: opts.env });
  assert.equal(again.code, 0, `second run failed:\n${again.stdout}\n${again.stderr}`);
  assert.deepEqual(pairs(again, 'changed'), [], 'the second run changes nothing');
  const after = await engine(['check', playbook, '-i', labPaths.inventory, '--limit', opts.limit, ...(opts.extra ?? [])], { env: opts.env });
  assert.equal(after.code, 0, `engine check after the run reports pending changes:\n${after.stdout}\n${after.stderr}`);
  return { dry, real, again, changed: pairs(real, 'changed') };
}
