// The bench's pyinfra harness without pyinfra: how its output is tallied, and that the deploys are
// valid Python (pyinfra itself is installed by hand only: bench/RESULTS.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { W1_PYINFRA, W2_PYINFRA, pyinfraTallies } from '../../bench/lib/pyinfra.ts';

test('pyinfra tallies: a change per Success, ok per No changes, every host counted, padded names too', () => {
  const out = [
    '--> Starting operation: Add pyinfra user ',
    '    [bench10] Success',
    '    [bench9]  No changes',
    '    [build]   Skipped',
    '--> Starting operation: Run some shell ',
    '    [bench9]  Success',
    '    [bench10] Error',
    '    \x1b[32m[relay1]\x1b[0m  No changes',
  ].join('\n');
  assert.deepEqual(pyinfraTallies(out), { changed: 2, ok: 2, errors: 1, hosts: 3 }, 'a host that only skipped is not counted');
});

const python = spawnSync('python3', ['--version']).status === 0;
test('the pyinfra deploys compile', { skip: python ? false : 'no python3 on this machine' }, () => {
  for (const file of [W1_PYINFRA, W2_PYINFRA]) {
    const r = spawnSync('python3', ['-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
  }
});
