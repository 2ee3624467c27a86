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

test('the command word is quoted where bare it would be an assignment or a reserved word', () => {
  assert.equal(shellJoin(['FOO=bar', 'x']), "'FOO=bar' x");
  assert.equal(shellJoin(['if', 'x=y']), "'if' x=y");
  assert.equal(shellJoin(['systemctl', 'daemon-reload']), 'systemctl daemon-reload');
  // Run: the shell looks for a program of that name (here: none, exit 127) instead of setting FOO or failing to parse.
  for (const argv of [['FOO=bar'], ['if']]) {
    let code = 0;
    try {
      execFileSync('/bin/sh', ['-c', shellJoin(argv)], { stdio: 'ignore' });
    } catch (err) {
      code = (err as { status: number }).status;
    }
    assert.equal(code, 127, `${JSON.stringify(argv)} runs as a command name`);
  }
});
