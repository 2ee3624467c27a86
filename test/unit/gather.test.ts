// The gather script is plain POSIX shell: run it with /bin/sh here and check each fact comes back
// with its own output and exit status, whatever the others print.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { buildGatherScript } from '../../engine/facts/gather.ts';
import { defineFact } from '../../engine/facts/types.ts';

const sh = (script: string) => execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });

test('each fact gets its own stdout and exit status from one script', () => {
  const facts = [
    defineFact('a', 'printf "one\\ntwo\\n"', (out, code) => ({ out, code })),
    defineFact('b', 'echo to-stderr >&2; exit 3', (out, code) => ({ out, code })),
    defineFact('c', 'printf "no newline"', (out, code) => ({ out, code })),
    defineFact('d', 'cat', (out, code) => ({ out, code })),
  ];
  const g = buildGatherScript(facts);
  const values = g.parse(sh(g.script));
  assert.deepEqual(values.get('a'), { out: 'one\ntwo\n', code: 0 });
  assert.deepEqual(values.get('b'), { out: '', code: 3 });
  assert.deepEqual(values.get('c'), { out: 'no newline', code: 0 });
  assert.deepEqual(values.get('d'), { out: '', code: 0 }, 'a fact reading stdin gets EOF, not the rest of the script');
});

test('a fact whose output imitates a marker cannot confuse the parser', () => {
  const facts = [defineFact('a', 'echo "__shipshape_000000000000__:1:begin"', (out) => out), defineFact('b', 'echo real', (out) => out)];
  const g = buildGatherScript(facts);
  const values = g.parse(sh(g.script));
  assert.equal(values.get('b'), 'real\n');
  assert.equal(values.get('a'), '__shipshape_000000000000__:1:begin\n');
});

test('output missing a fact is an error, not a silent default', () => {
  const g = buildGatherScript([defineFact('a', 'true', (out) => out)]);
  assert.throws(() => g.parse('garbage'), /fact a/);
});
