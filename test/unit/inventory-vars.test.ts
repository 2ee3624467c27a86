import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupPrecedence, mergeConnection, mergeVars } from '../../engine/inventory/vars.ts';
import { host, loadText } from '../fixtures/inventory/helpers.ts';

test('groupPrecedence: depth first, then alphabetical', () => {
  const sorted = groupPrecedence([
    { name: 'zeta', depth: 1 },
    { name: 'child', depth: 2 },
    { name: 'all', depth: 0 },
    { name: 'alpha', depth: 1 },
    { name: 'Beta', depth: 1 },
  ]);
  assert.deepEqual(sorted.map((g) => g.name), ['all', 'Beta', 'alpha', 'zeta', 'child']);
});

test('mergeVars: later levels replace keys, shallowly', () => {
  assert.deepEqual(mergeVars([{ a: 1, d: { x: 1 } }, { a: 2, b: 2 }, { d: { y: 2 } }]), { a: 2, b: 2, d: { y: 2 } });
});

test('mergeConnection: unset fields fall through', () => {
  assert.deepEqual(mergeConnection([{ user: 'a', port: 1 }, { user: undefined, port: 2 }, { jump: 'j' }]), { user: 'a', port: 2, jump: 'j' });
});

// Host h is in: all (vars) -> parent (depth 1) -> child (depth 2); also in 'alpha' and 'zulu' (depth 1).
const YAML = `
defaults: { user: d-user, port: 2000, privateKey: /d/key }
vars: { v_all: all, v_parent: all, v_child: all, v_host: all, v_alpha: all, v_same: all }
hosts:
  h: { vars: { v_host: host } }
  h2: { user: h2-user }
groups:
  parent: { children: [child], vars: { v_parent: parent, v_child: parent, v_host: parent, v_same: parent } }
  child: { hosts: [h, h2], vars: { v_child: child, v_host: child, ansible_port: 3000 } }
  zulu: { hosts: [h, h2], vars: { v_same: zulu, v_alpha: zulu, ansible_user: zulu-user } }
  alpha: { hosts: [h, h2], vars: { v_alpha: alpha, ansible_user: alpha-user, ansible_ssh_private_key_file: /alpha/key } }
`;

test('variable precedence: all < parent < child < host; same depth alphabetical; depth beats name', async () => {
  const inv = await loadText('inv.yml', YAML);
  const h = host(inv, 'h');
  assert.deepEqual(h.groups, ['all', 'alpha', 'parent', 'zulu', 'child']);
  assert.deepEqual(h.vars, {
    v_all: 'all',
    v_parent: 'parent',
    v_child: 'child',
    v_host: 'host',
    v_alpha: 'zulu',
    v_same: 'zulu',
  });
});

const connectionCases: Array<[string, string, unknown]> = [
  ['port: group var (child) beats defaults', 'port', 3000],
  ['user: zulu beats alpha at the same depth', 'user', 'zulu-user'],
  ['privateKey: group beats defaults', 'privateKey', '/alpha/key'],
];
for (const [what, field, value] of connectionCases) {
  test(`connection precedence, ${what}`, async () => {
    const inv = await loadText('inv.yml', YAML);
    assert.deepEqual(host(inv, 'h')[field as 'port'], value);
  });
}

test('connection precedence: host field beats group vars', async () => {
  const inv = await loadText('inv.yml', YAML);
  assert.equal(host(inv, 'h2').user, 'h2-user');
  assert.equal(host(inv, 'h2').port, 3000);
});

test('connection precedence: defaults beat built-ins, built-ins fill the rest', async () => {
  const inv = await loadText('inv.yml', 'defaults: { user: d-user }\nhosts: { a: {} }\n');
  assert.equal(host(inv, 'a').user, 'd-user');
  assert.equal(host(inv, 'a').port, 22);
  assert.equal(host(inv, 'a').privateKey, undefined);
});

test('inventory-wide ansible_* vars sit below group vars but above defaults', async () => {
  const inv = await loadText(
    'inv.yml',
    'defaults: { user: d }\nvars: { ansible_user: from-all }\nhosts: { a: {}, b: {} }\ngroups: { g: { hosts: [b], vars: { ansible_user: from-g } } }\n',
  );
  assert.equal(host(inv, 'a').user, 'from-all');
  assert.equal(host(inv, 'b').user, 'from-g');
});

test('native host field beats the same host\'s ansible_* var', async () => {
  const inv = await loadText('inv.yml', 'hosts: { a: { user: field, vars: { ansible_user: var, ansible_port: 2222 } } }\n');
  assert.equal(host(inv, 'a').user, 'field');
  assert.equal(host(inv, 'a').port, 2222);
});

test('depth is the longest path from all: a group reached at depths 1 and 2 counts as 2', async () => {
  // c is a child of a (depth 1) and of b (depth 2, under a); so c has depth 3 and beats b, which beats a.
  const inv = await loadText(
    'inv.yml',
    'hosts: { h: {} }\ngroups:\n  a: { children: [b, c], vars: { x: a } }\n  b: { children: [c], vars: { x: b } }\n  c: { hosts: [h], vars: { x: c } }\n  aa: { hosts: [h], vars: { x: aa } }\n',
  );
  assert.deepEqual(host(inv, 'h').groups, ['all', 'a', 'aa', 'b', 'c']);
  assert.equal(host(inv, 'h').vars.x, 'c');
});

test('INI precedence: [all:vars] < [parent:vars] < [child:vars] < host line', async () => {
  const inv = await loadText(
    'x.ini',
    ['[child]', 'h1 k4=host', 'h2', '[parent:children]', 'child', '[parent:vars]', 'k2=parent', 'k3=parent', 'k4=parent', '[child:vars]', 'k3=child', 'k4=child', '[all:vars]', 'k1=all', 'k2=all', 'k3=all', 'k4=all'].join('\n'),
  );
  assert.deepEqual(host(inv, 'h1').vars, { k1: 'all', k2: 'parent', k3: 'child', k4: 'host' });
  assert.deepEqual(host(inv, 'h2').vars, { k1: 'all', k2: 'parent', k3: 'child', k4: 'child' });
});
