import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globToRegExp } from '../../engine/inventory/glob.ts';
import { jumpFromProxyCommand, parseSshArgs } from '../../engine/inventory/ssh-args.ts';
import { splitWords } from '../../engine/inventory/words.ts';

const args: Array<[string, Record<string, string>]> = [
  ['-o ProxyJump=bastion', { jump: 'bastion' }],
  ['-o ProxyJump=ops@b1:2222,b2', { jump: 'ops@b1:2222,b2' }],
  ['-oProxyJump=b', { jump: 'b' }],
  ['-o proxyjump=lower', { jump: 'lower' }],
  ['-o ProxyJump=none', {}],
  ['-J b', { jump: 'b' }],
  ['-Jb', { jump: 'b' }],
  ['-o StrictHostKeyChecking=no -o ControlMaster=auto', {}],
  ['-o UserKnownHostsFile=/k/known', { knownHosts: '/k/known' }],
  [`-o 'ProxyCommand=ssh -W %h:%p bastion'`, { jump: 'bastion' }],
  [`-o ProxyCommand="ssh -q -W %h:%p -i /k/id ops@bastion -p 2200"`, { jump: 'ops@bastion:2200' }],
  [`-o ProxyCommand="nc -X connect -x proxy:3128 %h %p"`, {}],
  ['', {}],
];
for (const [text, settings] of args) {
  test(`ssh args ${JSON.stringify(text)}`, () => assert.deepEqual(parseSshArgs(text), { ok: true, settings }));
}

test('ssh args: a dangling -o or an unclosed quote is an error', () => {
  assert.deepEqual(parseSshArgs('-o'), { ok: false, message: '-o needs a value' });
  assert.deepEqual(parseSshArgs(`-o 'ProxyJump=b`), { ok: false, message: "unclosed ' quote" });
});

test('ProxyCommand that is not ssh -W gives no jump', () => {
  assert.equal(jumpFromProxyCommand('ssh bastion nc %h %p'), undefined);
  assert.equal(jumpFromProxyCommand('/usr/bin/ssh -W %h:%p -l me gate'), 'me@gate');
});

const words: Array<[string, string[]]> = [
  ['a b  c', ['a', 'b', 'c']],
  [`k="a b" j='c d'`, ['k=a b', 'j=c d']],
  [`k="say \\"hi\\""`, ['k=say "hi"']],
  [`k=a\\ b`, ['k=a b']],
  ['a # comment', ['a']],
  ['a#b', ['a#b']],
  [`k="x # y"`, ['k=x # y']],
  [`k=''`, ['k=']],
];
for (const [text, expected] of words) {
  test(`words ${JSON.stringify(text)}`, () => assert.deepEqual(splitWords(text, { comments: true }), { ok: true, words: expected }));
}

const globs: Array<[string, string, boolean]> = [
  ['*.org', 'a.org', true],
  ['*.org', 'xorg', false],
  ['web?', 'web1', true],
  ['web?', 'web10', false],
  ['web[0-2]', 'web1', true],
  ['web[!0-2]', 'web1', false],
  ['a+b*', 'a+bc', true],
  ['(x)*', '(x)y', true],
];
for (const [glob, name, matches] of globs) {
  test(`glob ${glob} ${matches ? 'matches' : 'does not match'} ${name}`, () => assert.equal(globToRegExp(glob).test(name), matches));
}
