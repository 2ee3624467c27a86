// The stamp lines a measured step prints, read by the engine: printed by a real sh, not by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { printStamps, stampChanged } from '../../engine/plan/stamp-change.ts';

const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });

test('a stamp that moved reports a change; one that stayed does not', () => {
  const moved = sh(`echo work; b=1-2; ${printStamps('lists', '"$b"', '"$(echo 3-4)"')}`);
  assert.equal(moved, 'work\nlists-before=1-2\nlists-after=3-4\n');
  assert.equal(stampChanged({ stamp: 'lists' }, moved), true);
  const stayed = sh(`b='1 2'; ${printStamps('dpkg', '"$b"', '"$(echo 1 2)"')}`);
  assert.equal(stampChanged({ stamp: 'dpkg' }, stayed), false);
});

test('a missing line, or the other stamp, cannot rule a change out', () => {
  assert.equal(stampChanged({ stamp: 'dpkg' }, ''), true);
  assert.equal(stampChanged({ stamp: 'dpkg' }, 'dpkg-before=1\n'), true);
  assert.equal(stampChanged({ stamp: 'dpkg' }, sh(printStamps('lists', '1', '1'))), true);
});

test('a line in the middle of the output counts, a lookalike inside a line does not', () => {
  assert.equal(stampChanged({ stamp: 'dpkg' }, 'x dpkg-before=1\nx dpkg-after=2\ndpkg-before=5\ndpkg-after=5\n'), false);
});

test('a stamp name is a plain word: no shell or pattern text gets in', () => {
  assert.throws(() => printStamps("a'; rm -rf /", '1', '1'), /stamp name/);
  assert.throws(() => stampChanged({ stamp: '.*' }, ''), /stamp name/);
});
