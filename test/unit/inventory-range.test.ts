import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandHostRange } from '../../engine/inventory/range.ts';

const expansions: Array<[string, string[]]> = [
  ['plain.example.org', ['plain.example.org']],
  ['relay[01:03].example.org', ['relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['web[1:3]', ['web1', 'web2', 'web3']],
  ['web[8:11]', ['web8', 'web9', 'web10', 'web11']],
  ['web[08:11]', ['web08', 'web09', 'web10', 'web11']],
  ['n[1:10:3]', ['n1', 'n4', 'n7', 'n10']],
  ['n[0:5:2]x', ['n0x', 'n2x', 'n4x']],
  ['n[:2]', ['n0', 'n1', 'n2']],
  ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
  ['db-[A:C]', ['db-A', 'db-B', 'db-C']],
  ['x[a:e:2]', ['xa', 'xc', 'xe']],
  ['r[1:2]-[a:b]', ['r1-a', 'r1-b', 'r2-a', 'r2-b']],
  ['[1:2].lab', ['1.lab', '2.lab']],
  ['solo[5:5]', ['solo5']],
];

for (const [pattern, names] of expansions) {
  test(`range ${pattern}`, () => {
    assert.deepEqual(expandHostRange(pattern), { ok: true, names });
  });
}

const failures: Array<[string, RegExp]> = [
  ['web[3:1]', /start 3 is after its end 1/],
  ['web[01:100]', /same width/],
  ['web[1:x]', /must be numbers/],
  ['web[a:Z]', /single letters of one case/],
  ['web[1:2:0]', /step "0" must be a positive integer/],
  ['web[1:2:-1]', /step "-1"/],
  ['web[1]', /must be \[start:end\]/],
  ['web[1:2:3:4]', /must be \[start:end\]/],
  ['web[1:3', /unclosed \[/],
  ['web1:3]', /unmatched \]/],
  ['web[1:3]x[2:1]', /start 2 is after its end 1/],
];

for (const [pattern, message] of failures) {
  test(`bad range ${pattern}`, () => {
    const r = expandHostRange(pattern);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.message, message);
    assert.match(r.ok ? '' : r.message, new RegExp(pattern.replace(/[[\]\\^$.|?*+()]/g, '\\$&')), 'names the pattern');
  });
}

test('a huge range is refused instead of exhausting memory', () => {
  const r = expandHostRange('h[0:999999]');
  assert.equal(r.ok, false);
});
