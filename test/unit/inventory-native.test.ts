import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadInventory } from '../../engine/inventory/index.ts';
import { isSecret } from '../../engine/secret.ts';
import { FIXTURES, host, loadError, loadText } from '../fixtures/inventory/helpers.ts';

const ENV = { HOME: '/home/tester', SHIPSHAPE_TEST_PW: 'pw-from-env', LAB_GW_PW: 'gw-env-pw' };

test('YAML fixture: hosts in file order, group-only hosts after, ranges expanded', async () => {
  const inv = await loadInventory(join(FIXTURES, 'site.yml'), { env: ENV });
  assert.equal(inv.file, join(FIXTURES, 'site.yml'));
  assert.deepEqual(inv.hosts.map((h) => h.name), ['bastion', 'build', 'relay01.example.org', 'relay02.example.org', 'relay03.example.org']);
  assert.deepEqual(inv.groups.get('relays')?.hosts, ['relay01.example.org', 'relay02.example.org', 'relay03.example.org']);
  assert.deepEqual(inv.groups.get('relays')?.children, ['edge']);
  assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['bastion', 'build']);
  assert.deepEqual(host(inv, 'relay03.example.org').groups, ['all', 'relays', 'edge']);
});

test('YAML fixture: connection from defaults, host fields and built-ins', async () => {
  const inv = await loadInventory(join(FIXTURES, 'site.yml'), { env: ENV });
  const relay = host(inv, 'relay02.example.org');
  assert.equal(relay.address, 'relay02.example.org', 'address defaults to the name');
  assert.equal(relay.port, 2200);
  assert.equal(relay.user, 'deploy');
  assert.equal(relay.privateKey, join(FIXTURES, 'keys/id_ed25519'), 'relative to the inventory folder');
  assert.equal(relay.knownHosts, '/home/tester/.ssh/lab_known_hosts', '~ is HOME');
  assert.equal(relay.jump, 'bastion');
  assert.equal(relay.become.password?.reveal(), 'hunter2-file', 'password file read, trailing newline dropped');
  assert.equal(relay.connectTimeoutMs, undefined);

  const build = host(inv, 'build');
  assert.equal(build.address, '10.77.0.10');
  assert.equal(build.user, 'builder');
  assert.equal(build.port, 2200);
  assert.equal(build.connectTimeoutMs, 5000);
  assert.ok(isSecret(build.become.password));
  assert.equal(build.become.password?.reveal(), 'pw-from-env');

  const bastion = host(inv, 'bastion');
  assert.equal(bastion.port, 22);
  assert.equal(bastion.jump, undefined, 'the default jump host does not jump through itself');
});

test('YAML fixture: group vars named like connection fields are plain vars; ansible_* names are not', async () => {
  const inv = await loadInventory(join(FIXTURES, 'site.yml'), { env: ENV });
  const relay = host(inv, 'relay01.example.org');
  assert.equal(relay.user, 'deploy');
  assert.equal(relay.vars.user, 'not-a-connection-field');
  const edge = host(inv, 'relay03.example.org');
  assert.equal(edge.user, 'edgeuser', 'ansible_user in group vars sets the connection user');
  assert.equal('ansible_user' in edge.vars, false);
  assert.deepEqual(inv.groups.get('edge')?.vars, { tier: 'edge' });
});

test('TypeScript inventory: default export of defineInventory, Secret password, env password, ranges in host keys', async () => {
  const inv = await loadInventory(join(FIXTURES, 'lab.ts'), { env: ENV });
  assert.deepEqual(inv.hosts.map((h) => h.name), ['lab1', 'lab2', 'gw']);
  const lab2 = host(inv, 'lab2');
  assert.equal(lab2.address, '10.0.0.1');
  assert.equal(lab2.user, 'lab');
  assert.equal(lab2.privateKey, join(FIXTURES, 'keys/lab_ed25519'));
  assert.equal(lab2.become.password?.reveal(), 'ts-become-Pa55');
  assert.deepEqual(lab2.vars, { site: 'lab', role: 'node' });
  assert.deepEqual(lab2.groups, ['all', 'everything', 'nodes']);
  const gw = host(inv, 'gw');
  assert.equal(gw.port, 2022);
  assert.equal(gw.become.password?.reveal(), 'gw-env-pw');
  assert.deepEqual(inv.groups.get('all')?.children, ['everything', 'ungrouped']);
});

test('TypeScript inventory: run-time validation still catches what the editor would', async () => {
  const err = await loadError(loadInventory(join(FIXTURES, 'typo.ts'), { env: ENV }));
  assert.deepEqual(
    err.problems.map((p) => [p.path, p.message]),
    [
      ['hosts.a.prot', 'unknown field (did you mean port?)'],
      ['groups.g.children[0]', "unknown group 'nope' in children of g"],
    ],
  );
  assert.ok(err.problems[0]!.file.endsWith('typo.ts'));
});

test('TypeScript inventory without a default export', async () => {
  const err = await loadError(loadInventory(join(FIXTURES, 'no-default.ts')));
  assert.match(err.message, /no-default\.ts: has no default export/);
});

test('YAML: inline { value } password, null host entries, group-only hosts with ranges', async () => {
  const inv = await loadText(
    'inv.yml',
    ['defaults:', '  becomePassword: { value: "inline-pw" }', 'hosts:', '  solo:', 'groups:', '  g:', '    hosts: ["n[1:2]", solo]'].join('\n'),
  );
  assert.deepEqual(inv.hosts.map((h) => h.name), ['solo', 'n1', 'n2']);
  assert.equal(host(inv, 'n2').become.password?.reveal(), 'inline-pw');
  assert.equal(host(inv, 'n2').address, 'n2');
  assert.equal(host(inv, 'solo').port, 22);
});

test('YAML: built-in user is the current user name', async () => {
  const { userInfo } = await import('node:os');
  const inv = await loadText('inv.yaml', 'hosts: { a: {} }\n');
  assert.equal(host(inv, 'a').user, userInfo().username);
  assert.deepEqual(host(inv, 'a').become, { method: 'sudo' });
});

test('YAML: password file relative to the inventory, read once per source', async () => {
  const inv = await loadText('inv.yml', 'defaults: { becomePassword: { file: pw.txt } }\nhosts: { a: {}, b: {} }\n', {}, { 'pw.txt': 'from-file\r\n' });
  assert.equal(host(inv, 'a').become.password?.reveal(), 'from-file');
  assert.equal(host(inv, 'a').become.password, host(inv, 'b').become.password);
});

test('JSON is read as YAML', async () => {
  const inv = await loadText('inv.json', JSON.stringify({ hosts: { j: { port: 2022 } } }));
  assert.equal(host(inv, 'j').port, 2022);
});

test('YAML: jump to an inventory host or a [user@]host[:port] spec', async () => {
  const inv = await loadText('inv.yml', 'hosts:\n  a: { jump: b }\n  b: { jump: "ops@gate.example.org:2222" }\n  c: { jump: "j1,ops@j2:22" }\n');
  assert.equal(host(inv, 'a').jump, 'b');
  assert.equal(host(inv, 'b').jump, 'ops@gate.example.org:2222');
  assert.equal(host(inv, 'c').jump, 'j1,ops@j2:22');
});
