import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { maskDeep, maskSecrets, secret } from '../../engine/secret.ts';
import { renderChanges } from '../../engine/report/diff.ts';
import { canary, CANARY, CANARY_BYTES, canaryTexts, leaks } from './canary.ts';

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

test('the leak detector sees the canary in each of its encodings (so the next test can fail)', () => {
  for (const [name, text] of Object.entries(canaryTexts())) assert.ok(leaks(text), name);
});

test('maskSecrets masks a secret raw, JSON-escaped, URL-encoded, shell-quoted, hex and base64 at every alignment', () => {
  for (const [name, text] of Object.entries(canaryTexts())) {
    const masked = maskSecrets(text);
    assert.ok(!leaks(masked), `${name}: ${masked}`);
    assert.match(masked, /\*\*\*/, name);
  }
  // The text around it survives: masking takes the secret's span only.
  const base64 = Buffer.from('xyz' + CANARY + ' and then some more bytes').toString('base64');
  assert.ok(maskSecrets(base64).startsWith(base64.slice(0, 4)));
  assert.ok(maskSecrets(`0011${CANARY_BYTES.toString('hex')}ff00`).startsWith('0011***'));
  assert.equal(canary.reveal(), CANARY);
});

test('short secrets: the raw value is masked, encodings too short to tell from chance are not', () => {
  secret('q7!');
  assert.equal(maskSecrets('a q7! b'), 'a *** b');
  const hex = Buffer.from('q7!').toString('hex'); // 6 characters: also a plausible piece of any checksum
  assert.equal(maskSecrets(`sha ${hex}00`), `sha ${hex}00`);
  assert.equal(maskSecrets('plain text with nothing secret in it, and a checksum 0123456789abcdef'), 'plain text with nothing secret in it, and a checksum 0123456789abcdef');
});

test('maskDeep: every string (keys too) masked, Secrets as ***, Buffers as text, the input untouched', () => {
  const pw = secret('deep-secret-"quoted"\\');
  const input = {
    a: `x ${pw.reveal()} y`,
    list: [1, true, null, pw, { [pw.reveal()]: 'key' }],
    buf: Buffer.from(`buf ${pw.reveal()}`),
    when: new Date(0),
    nested: { deeper: { text: Buffer.from(pw.reveal()).toString('base64') } },
  };
  const out = maskDeep(input) as Record<string, unknown>;
  assert.deepEqual(out, {
    a: 'x *** y',
    list: [1, true, null, '***', { '***': 'key' }],
    buf: 'buf ***',
    when: '1970-01-01T00:00:00.000Z',
    nested: { deeper: { text: '***' } },
  });
  assert.equal(input.a, `x ${pw.reveal()} y`, 'a copy: the event itself is not changed');
  const cyclic: Record<string, unknown> = { name: 'c' };
  cyclic.self = cyclic;
  assert.deepEqual(maskDeep(cyclic), { name: 'c', self: '[Circular]' });
  const shared = { v: 1 };
  assert.deepEqual(maskDeep([shared, shared]), [{ v: 1 }, { v: 1 }], 'the same object twice is not a cycle');
});

test('masking after JSON.stringify misses escaped secrets; maskDeep before it does not', () => {
  const pw = secret('pa\\ss-777"x');
  const event = { changes: [{ text: { after: `PASSWORD="${pw.reveal()}"\n` } }] };
  assert.ok(!JSON.stringify(maskDeep(event)).includes('pa\\\\ss-777'));
  assert.ok(!JSON.stringify(maskDeep(event)).includes('777'));
});
