import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSizes, toBatches } from '../../engine/run/serial.ts';

test('serial: counts, percentages and lists, the last size repeating', () => {
  const cases: Array<[Parameters<typeof batchSizes>[0], number, number[]]> = [
    [undefined, 5, [5]],
    [1, 3, [1, 1, 1]],
    [2, 5, [2, 2, 1]],
    ['25%', 8, [2, 2, 2, 2]],
    ['25%', 3, [1, 1, 1]], // a percentage below one host still moves one at a time
    [[1, '50%'], 5, [1, 2, 2]],
    [[1, 2, 10], 20, [1, 2, 10, 7]],
    [10, 0, []],
  ];
  for (const [serial, total, want] of cases) assert.deepEqual(batchSizes(serial, total), want, `serial ${JSON.stringify(serial)} of ${total}`);
});

test('toBatches keeps order and places every host once', () => {
  assert.deepEqual(toBatches(['a', 'b', 'c', 'd', 'e'], [1, '50%']), [['a'], ['b', 'c'], ['d', 'e']]);
});

test('a serial that is neither a count nor a percentage is refused', () => {
  assert.throws(() => batchSizes('half', 4), /neither a count nor a percentage/);
});
