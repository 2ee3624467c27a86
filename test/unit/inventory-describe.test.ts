import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeInventory, graphInventory, listInventory, loadInventory } from '../../engine/inventory/index.ts';
import { FIXTURES, loadText } from '../fixtures/inventory/helpers.ts';

const ENV = { HOME: '/home/tester', SHIPSHAPE_TEST_PW: 'pw-from-env-77', LAB_GW_PW: 'gw-env-pw-77' };

test('--graph: Ansible-like tree, child groups alphabetical, hosts in inventory order', async () => {
  const inv = await loadText('x.ini', ['solo', '[relays]', 'relay2', 'relay1', '[edge]', 'relay1', '[zz:children]', 'relays', '[aa]', 'a1'].join('\n'));
  const expected = [
    '@all:',
    '  |--@aa:',
    '  |  |--a1',
    '  |--@edge:',
    '  |  |--relay1',
    '  |--@ungrouped:',
    '  |  |--solo',
    '  |--@zz:',
    '  |  |--@relays:',
    '  |  |  |--relay2',
    '  |  |  |--relay1',
  ].join('\n');
  assert.equal(graphInventory(inv), expected);
  assert.equal(describeInventory(inv, 'graph'), expected);
});

test('--list: hosts with connection, groups and vars; groups with hosts, children and vars', async () => {
  const inv = await loadText('inv.yml', 'defaults: { user: u }\nvars: { a: 1 }\nhosts:\n  h: { address: 10.0.0.9, port: 2222, jump: j, vars: { b: 2 } }\ngroups:\n  g: { hosts: [h], vars: { c: 3 } }\n');
  const listing = JSON.parse(describeInventory(inv));
  assert.deepEqual(listing.hosts.h, {
    connection: { address: '10.0.0.9', port: 2222, user: 'u', become: { method: 'sudo' }, jump: 'j' },
    groups: ['all', 'g'],
    vars: { a: 1, c: 3, b: 2 },
  });
  assert.deepEqual(listing.groups.g, { hosts: ['h'], children: [], vars: { c: 3 } });
  assert.deepEqual(listing.groups.all, { hosts: [], children: ['g', 'ungrouped'], vars: { a: 1 } });
  assert.deepEqual(listing, JSON.parse(JSON.stringify(listInventory(inv))));
});

test('--list masks every become password (file, env, Secret, INI) as ***', async () => {
  const outputs = [
    describeInventory(await loadInventory(join(FIXTURES, 'site.yml'), { env: ENV })),
    describeInventory(await loadInventory(join(FIXTURES, 'lab.ts'), { env: ENV })),
    describeInventory(await loadInventory(join(FIXTURES, 'hosts.ini'), { env: ENV })),
    describeInventory(await loadText('inv.yml', 'hosts: { a: { becomePassword: { value: inline-pw-77 } } }\n')),
  ];
  for (const secretValue of ['hunter2-file', 'pw-from-env-77', 'ts-become-Pa55', 'gw-env-pw-77', 's3cr3t pass', 'inline-pw-77']) {
    for (const out of outputs) assert.ok(!out.includes(secretValue), `--list output leaks ${secretValue}`);
  }
  for (const out of outputs) assert.match(out, /"password": "\*\*\*"/);
});

test('--list masks a secret that was also copied into a plain variable', async () => {
  const out = describeInventory(await loadText('x.ini', "h ansible_become_password=copied-pw-77 note='uses copied-pw-77 here'\n"));
  assert.ok(!out.includes('copied-pw-77'), out);
  assert.match(out, /"note": "uses \*\*\* here"/);
});

test('--list masks a copied secret that JSON escapes (quote, backslash): masked before serialising', async () => {
  const out = describeInventory(await loadText('inv.yml', 'hosts:\n  h:\n    becomePassword: { value: \'q"uo\\te-pw-77\' }\n    vars: { note: \'uses q"uo\\te-pw-77 here\' }\n'));
  assert.ok(!out.includes('te-pw-77'), out);
  assert.match(out, /"note": "uses \*\*\* here"/);
});
