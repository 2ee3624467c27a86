// The bench's pyinfra harness without pyinfra: how its output is tallied, and that the deploys are
// valid Python (pyinfra itself is installed by hand only: bench/RESULTS.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { W1_PYINFRA, W2_PYINFRA, pyinfraDryTallies, pyinfraTallies } from '../../bench/lib/pyinfra.ts';

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

test('pyinfra dry-run tallies: the Detected changes table (definite K, maybe M in K-M/N), hosts from Ready lines', () => {
  // Trimmed from pyinfra v3.0b0's `--dry` on the W2 fleet (build, relay1-3), as it printed it.
  const out = [
    '--> Connecting to hosts...',
    '    [relay3] Connected',
    '    [build]  Connected',
    '--> Preparing Operations...',
    '    [build]  Ready: bench/pyinfra/relay.py',
    '    [relay2] Ready: bench/pyinfra/relay.py',
    '    \x1b[32m[relay1]\x1b[0m Ready: bench/pyinfra/relay.py',
    '    [relay3] Ready: bench/pyinfra/relay.py',
    '',
    '--> Detected changes:',
    '    Operation                                               Hosts                                ',
    '    build dependencies                                      No hosts with changes at this time   ',
    '    build smp-server and xfp-server                         1/4 (build)                          ',
    '    smp daemon-reload                                       0-3/4 (relay1, relay2, relay3)       ',
    '    smp answers                                             3/4 (relay1, relay2, relay3)         ',
    '    restart coturn                                          0-1/4 (relay1)                       ',
    '',
    '--> Disconnecting from hosts...',
  ].join('\n');
  assert.deepEqual(pyinfraDryTallies(out), { changed: 4, maybe: 4, hosts: 4, rows: 5 });
  assert.deepEqual(pyinfraDryTallies('--> Connecting to hosts...\n    [a] Connected\n'), { changed: 0, maybe: 0, hosts: 0, rows: 0 }, 'a run that printed no table has no rows (the run is refused)');
});

const python = spawnSync('python3', ['--version']).status === 0;
test('the pyinfra deploys compile', { skip: python ? false : 'no python3 on this machine' }, () => {
  for (const file of [W1_PYINFRA, W2_PYINFRA]) {
    const r = spawnSync('python3', ['-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
  }
});
