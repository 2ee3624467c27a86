import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { maskSecrets, secret } from '../../engine/secret.ts';
import { renderChanges } from '../../engine/report/diff.ts';

test('a secret never prints: string, JSON, inspect, template literal', () => {
  const s = secret('hunter2-very-secret');
  assert.equal(String(s), '***');
  assert.equal(`${s}`, '***');
  assert.equal(JSON.stringify({ pw: s }), '{"pw":"***"}');
  assert.equal(inspect({ pw: s }), "{ pw: *** }");
  assert.equal(s.reveal(), 'hunter2-very-secret');
});

test('known secret values are masked in any text, longest first', () => {
  secret('abc-secret');
  secret('abc-secret-longer');
  assert.equal(maskSecrets('x abc-secret-longer y abc-secret z'), 'x *** y *** z');
});

test('a diff of text holding a secret value shows it masked', () => {
  secret('TurnPassw0rd!');
  const lines = renderChanges([{ what: 'content', text: { path: '/etc/x', before: 'a\n', after: 'user=TurnPassw0rd!\n' } }]).join('\n');
  assert.ok(!lines.includes('TurnPassw0rd!'));
  assert.match(lines, /\+user=\*\*\*/);
  assert.match(renderChanges([{ what: 'content', sensitive: true, text: { path: '/x', before: 'a', after: 'b' } }]).join('\n'), /sensitive content, not shown/);
});
