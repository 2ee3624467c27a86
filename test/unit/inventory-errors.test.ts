import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InventoryError, loadInventory } from '../../engine/inventory/index.ts';
import { loadError, loadText, writeTemp } from '../fixtures/inventory/helpers.ts';

const BAD_YAML = `
host: {}
defaults:
  port: "22"
  becomePassword: { value: "" }
hosts:
  a: { prot: 22 }
  b: { port: 70000 }
  c: { becomePassword: { env: SHIPSHAPE_MISSING_VAR } }
  d: { becomePassword: { file: missing.pw } }
  e: { becomePassword: { valeu: "leaky-secret-1" } }
  f: { becomeMethod: su }
  "bad[3:1]": {}
  h: { vars: { ansible_port: nope } }
  i: { jump: i }
  j: { jump: "not a host spec" }
  k: { address: 10.0.0.1 }
  l: { address: 10.0.0.1 }
  m: { jump: n }
  n: { jump: m }
groups:
  g: { children: [missing] }
  x: { children: [y] }
  y: { children: [x] }
  all: { vars: {} }
  s: { children: [s] }
  t: { hosts: "not-a-list" }
`;

test('every problem of a YAML inventory at once, each with file and path', async () => {
  const path = await writeTemp('bad.yml', BAD_YAML);
  const err = await loadError(loadInventory(path, { env: { HOME: '/h' } }));
  assert.ok(err instanceof InventoryError);
  assert.ok(err.problems.every((p) => p.file === path), 'every problem names the file');
  const got = err.problems.map((p) => `${p.path}: ${p.message}`);
  const missingPw = path.replace(/bad\.yml$/, 'missing.pw');
  assert.deepEqual(got, [
    'host: unknown field (did you mean hosts?)',
    'defaults.port: must be integer',
    `defaults.becomePassword: must be { file: path }, { env: NAME }, { value: string } or a secret(...)`,
    'hosts.a.prot: unknown field (did you mean port?)',
    'hosts.b.port: must be <= 65535',
    `hosts.e.becomePassword: must be { file: path }, { env: NAME }, { value: string } or a secret(...)`,
    'hosts.f.becomeMethod: must be one of: sudo',
    'groups.t.hosts: must be array',
    'hosts["bad[3:1]"]: range start 3 is after its end 1 in "bad[3:1]"',
    'hosts.h.vars.ansible_port: ansible_port must be a port number 1-65535, got "nope"',
    "groups.all: 'all' is implicit: put inventory-wide variables in the top-level vars",
    "groups.g.children[0]: unknown group 'missing' in children of g",
    'groups.s.children[0]: group s lists itself in children',
    'groups.x.children[0]: cycle in children: x -> y -> x',
    'hosts.c.becomePassword: environment variable SHIPSHAPE_MISSING_VAR is not set',
    `hosts.d.becomePassword: cannot read password file ${missingPw} (ENOENT)`,
    'hosts.i.jump: jump hosts loop: i -> i',
    'hosts.j.jump: jump "not a host spec" is neither an inventory host nor [user@]host[:port]',
    'hosts.m.jump: jump hosts loop: m -> n -> m',
    'hosts.n.jump: jump hosts loop: n -> m -> n',
  ]);
  for (const p of err.problems) assert.ok(err.message.includes(`${p.file}: ${p.path}: ${p.message}`), 'message lists file: path: message');
  assert.match(err.message, /^20 inventory problems:/);
  assert.ok(!err.message.includes('leaky-secret-1'));
});

test('faulty defaults are left out, not half used', async () => {
  const got = await loadError(loadText('inv.yml', 'defaults: { becomePassword: { valeu: x }, port: "22" }\nhosts: { a: {} }\n'));
  assert.deepEqual(got.problems.map((p) => p.path), ['defaults.port', 'defaults.becomePassword']);
});

test('a host defined twice through a range is an error naming both entries', async () => {
  const got = await loadError(loadText('inv.yml', 'hosts:\n  web2: { port: 2 }\n  "web[1:3]": {}\n'));
  assert.deepEqual(got.problems.map((p) => [p.path, p.message]), [['hosts["web[1:3]"]', 'host web2 is already defined by hosts.web2']]);
});

test('a YAML syntax error names the line and does not quote the source', async () => {
  const err = await loadError(loadText('inv.yml', 'hosts:\n  a: { becomePassword: { value: "leaky-secret-2 }\n'));
  assert.equal(err.problems.length > 0, true);
  assert.match(err.problems[0]!.path, /^line \d+:\d+$/);
  assert.ok(!err.message.includes('leaky-secret-2'), err.message);
});

test('a missing inventory file is one problem naming it', async () => {
  const err = await loadError(loadInventory('/nonexistent/inv.yml'));
  assert.deepEqual(err.problems, [{ file: '/nonexistent/inv.yml', path: '', message: 'cannot read (ENOENT)' }]);
  assert.match(err.message, /\/nonexistent\/inv\.yml: cannot read \(ENOENT\)/);
});

test('an unknown extension is refused', async () => {
  const err = await loadError(loadInventory('/x/inv.toml'));
  assert.match(err.message, /unknown inventory format/);
});

test('an empty password file and an empty env var are errors', async () => {
  const path = await writeTemp('inv.yml', 'hosts:\n  a: { becomePassword: { file: empty.pw } }\n  b: { becomePassword: { env: EMPTY } }\n', { 'empty.pw': '\n' });
  const err = await loadError(loadInventory(path, { env: { EMPTY: '' } }));
  assert.deepEqual(err.problems.map((p) => p.message), [`password file ${path.replace(/inv\.yml$/, 'empty.pw')} is empty`, 'environment variable EMPTY is empty']);
});

test('a YAML document that is not a mapping', async () => {
  const err = await loadError(loadText('inv.yml', '- a\n- b\n'));
  assert.deepEqual(err.problems.map((p) => p.message), ['the inventory must be an object with defaults, vars, hosts and groups']);
});

test('duplicate address and port on two hosts is fine', async () => {
  const inv = await loadText('inv.yml', 'hosts:\n  a: { address: 10.0.0.1 }\n  b: { address: 10.0.0.1 }\n');
  assert.deepEqual(inv.hosts.map((h) => [h.name, h.address, h.port]), [['a', '10.0.0.1', 22], ['b', '10.0.0.1', 22]]);
});

test('problems in a password source do not print the secret even when it is registered', async () => {
  const err = await loadError(loadText('inv.yml', 'hosts:\n  a: { becomePassword: { value: "registered-pw" }, port: 0 }\n  b: { becomePassword: { value: "registered-pw" }, jump: "registered-pw bad" }\n'));
  assert.ok(!err.message.includes('registered-pw'), err.message);
  assert.match(err.message, /\*\*\*/, 'masked where a secret value appears');
});
