import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PatternError, selectHosts, splitPattern } from '../../engine/inventory/pattern.ts';
import type { Inventory } from '../../engine/inventory/types.ts';
import { FIXTURES, loadText, writeTemp } from '../fixtures/inventory/helpers.ts';

const INI = `
bastion
[web]
web1
web2
web-a
[relays]
relay[01:03].example.org
[edge]
relay03.example.org
web2
[prod:children]
web
relays
`;

let cached: Inventory | undefined;
const inventory = async () => (cached ??= await loadText('hosts', INI));

const selections: Array<[string, string[]]> = [
  ['all', ['bastion', 'web1', 'web2', 'web-a', 'relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['*', ['bastion', 'web1', 'web2', 'web-a', 'relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['web1', ['web1']],
  ['web', ['web1', 'web2', 'web-a']],
  ['prod', ['web1', 'web2', 'web-a', 'relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['ungrouped', ['bastion']],
  ['relay*', ['relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['web?', ['web1', 'web2']],
  ['web-?', ['web-a']],
  ['relay0[12]*', ['relay01.example.org', 'relay02.example.org']],
  ['relay0[!12]*', ['relay03.example.org']],
  ['*.example.org', ['relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['rel*s', ['relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['~web\\d', ['web1', 'web2']],
  ['~relay0[23]', ['relay02.example.org', 'relay03.example.org']],
  ['~(bastion|web-a)', ['bastion', 'web-a']],
  ['web:relays', ['web1', 'web2', 'web-a', 'relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['relays,web1', ['web1', 'relay01.example.org', 'relay02.example.org', 'relay03.example.org']],
  ['relay03.example.org,web1', ['web1', 'relay03.example.org']],
  ['web1,web1,web', ['web1', 'web2', 'web-a']],
  ['prod:!edge', ['web1', 'web-a', 'relay01.example.org', 'relay02.example.org']],
  ['prod,!edge', ['web1', 'web-a', 'relay01.example.org', 'relay02.example.org']],
  ['!edge', ['bastion', 'web1', 'web-a', 'relay01.example.org', 'relay02.example.org']],
  ['web:&edge', ['web2']],
  ['&edge', ['web2', 'relay03.example.org']],
  ['!edge:prod', ['web1', 'web-a', 'relay01.example.org', 'relay02.example.org']],
  ['prod:&edge:!web', ['relay03.example.org']],
  ['web:&relays', []],
  [' web1 , web2 ', ['web1', 'web2']],
  ['@limit.txt', ['web1', 'relay02.example.org']],
  ['relays:!@limit.txt', ['relay01.example.org', 'relay03.example.org']],
];

for (const [pattern, names] of selections) {
  test(`pattern ${JSON.stringify(pattern)}`, async () => {
    const got = selectHosts(await inventory(), pattern, { cwd: FIXTURES });
    assert.deepEqual(got.map((h) => h.name), names);
  });
}

const typos: Array<[string, Array<string | RegExp>]> = [
  ['wbe', ['"wbe" matches no host or group']],
  ['web,relys', ['"relys" matches no host or group']],
  ['web:!edg', ['"!edg" matches no host or group']],
  ['web:&nope', ['"&nope" matches no host or group']],
  ['db*', ['"db*" matches no host or group']],
  ['~^db', ['"~^db" matches no host or group']],
  ['~web(', [/^"~web\(" is not a valid regular expression/]],
  ['x1,x2', ['"x1" matches no host or group', '"x2" matches no host or group']],
  ['@missing.txt', ['cannot read "@missing.txt" (ENOENT)']],
  ['', ['the pattern is empty']],
  [',', ['the pattern is empty']],
];

for (const [pattern, problems] of typos) {
  test(`pattern ${JSON.stringify(pattern)} is an error naming the term`, async () => {
    const inv = await inventory();
    assert.throws(
      () => selectHosts(inv, pattern, { cwd: FIXTURES }),
      (e: unknown) => {
        assert.ok(e instanceof PatternError);
        assert.equal(e.problems.length, problems.length);
        problems.forEach((p, i) => (p instanceof RegExp ? assert.match(e.problems[i]!, p) : assert.equal(e.problems[i], p)));
        assert.ok(e.message.includes(`host pattern "${pattern}"`));
        return true;
      },
    );
  });
}

test('@file naming a host not in the inventory is an error naming it', async () => {
  const file = await writeTemp('limit', 'web1\nweb9\n');
  assert.throws(() => selectHosts(cached!, `@${file}`), (e: unknown) => e instanceof PatternError && /names hosts not in the inventory: web9/.test(e.message));
});

test('@file is relative to cwd', async () => {
  const file = await writeTemp('limit', 'web2\n');
  const dir = file.replace(/\/limit$/, '');
  assert.deepEqual(selectHosts(await inventory(), '@limit', { cwd: dir }).map((h) => h.name), ['web2']);
});

const splits: Array<[string, string[]]> = [
  ['a:b', ['a', 'b']],
  ['a,b:c', ['a', 'b:c']],
  ['web[1:3]:db', ['web[1:3]', 'db']],
  ['a::b', ['a', 'b']],
];
for (const [pattern, terms] of splits) {
  test(`splitPattern ${pattern}`, () => assert.deepEqual(splitPattern(pattern), terms));
}
