import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { quote, shellJoin } from '../../engine/quote.ts';

test('hostile arguments reach the command unchanged', () => {
  const args = ["it's", '$(touch /tmp/pwned)', '`id`', 'a b', '', '\n', '"', '\\', '*', '-n', 'ü'];
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellJoin(args)}`]).toString();
  assert.deepEqual(out.split('\0').slice(0, -1), args);
});

test('plain words stay bare, others are single-quoted', () => {
  assert.equal(quote('/etc/ssh/sshd_config'), '/etc/ssh/sshd_config');
  assert.equal(quote('a b'), "'a b'");
  assert.equal(quote("it's"), "'it'\\''s'");
  assert.equal(quote(''), "''");
});
