import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadInventory } from '../../engine/inventory/index.ts';
import { parseIniValue } from '../../engine/inventory/ini-value.ts';
import { inventoryFormat } from '../../engine/inventory/load.ts';
import { isSecret } from '../../engine/secret.ts';
import { FIXTURES, host, loadError, loadText, problems } from '../fixtures/inventory/helpers.ts';

const ENV = { HOME: '/home/tester' };

test('hosts.ini fixture: ungrouped hosts, groups, children, ranges and group vars', async () => {
  const inv = await loadInventory(join(FIXTURES, 'hosts.ini'), { env: ENV });
  assert.deepEqual(
    inv.hosts.map((h) => h.name),
    ['bastion', 'loose.example.org', 'web1', 'web2', 'web3', 'db-a.internal', 'db-b.internal', 'relay01.example.org', 'relay02.example.org'],
  );
  assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['bastion', 'loose.example.org']);
  assert.deepEqual(inv.groups.get('web')?.hosts, ['web1', 'web2', 'web3']);
  assert.deepEqual(inv.groups.get('backend')?.children, ['web', 'db']);
  assert.deepEqual(inv.groups.get('all')?.children, ['relays', 'backend', 'ungrouped']);
  assert.deepEqual(host(inv, 'web1').groups, ['all', 'backend', 'web']);
  assert.deepEqual(host(inv, 'relay01.example.org').groups, ['all', 'relays']);
});

test('hosts.ini fixture: host vars, typed values, quoted values and comments', async () => {
  const inv = await loadInventory(join(FIXTURES, 'hosts.ini'), { env: ENV });
  assert.deepEqual(host(inv, 'web2').vars, {
    tier: 'web',
    ntp: 'pool.ntp.org',
    greeting: 'quoted # not a comment',
    http_port: 8080,
    motd: 'hello world',
    max_clients: 200,
    debug: true,
  });
  assert.equal(host(inv, 'db-a.internal').vars.tier, 'backend');
  assert.equal(host(inv, 'loose.example.org').vars.tier, 'base');
});

test('hosts.ini fixture: Ansible connection variables', async () => {
  const inv = await loadInventory(join(FIXTURES, 'hosts.ini'), { env: ENV });
  const bastion = host(inv, 'bastion');
  assert.equal(bastion.address, '203.0.113.5');
  assert.equal(bastion.port, 22);
  assert.equal(host(inv, 'loose.example.org').port, 2222, 'port from host:port');
  assert.equal(host(inv, 'web1').user, 'app', 'ansible_user from [backend:vars]');
  const db = host(inv, 'db-a.internal');
  assert.equal(db.user, 'postgres', 'host line beats group vars');
  assert.equal(db.privateKey, join(FIXTURES, 'keys/db_ed25519'), 'key path relative to the inventory folder');
  assert.ok(isSecret(db.become.password));
  assert.equal(db.become.password?.reveal(), 's3cr3t pass');
  assert.equal(db.become.method, 'sudo');
  assert.equal(host(inv, 'relay02.example.org').jump, 'deploy@bastion:22');
  assert.equal(bastion.knownHosts, join(FIXTURES, 'known_hosts.lab'), 'UserKnownHostsFile from [all:vars] ssh extra args');
  assert.equal('ansible_user' in host(inv, 'web1').vars, false, 'connection vars are taken out of vars');
  assert.equal('ansible_become_password' in db.vars, false);
});

const values: Array<[string, unknown]> = [
  ['22', 22],
  ['-3', -3],
  ['1.5', 1.5],
  ['True', true],
  ['False', false],
  ['true', 'true'],
  ['None', null],
  ['"22"', '22'],
  ["'a b'", 'a b'],
  ['"say \\"hi\\""', 'say "hi"'],
  ['plain text', 'plain text'],
  ['', ''],
];
for (const [text, value] of values) {
  test(`INI value ${JSON.stringify(text)}`, () => assert.deepEqual(parseIniValue(text), value));
}

const connections: Array<[string, string, Record<string, unknown>]> = [
  ['ansible_host', 'h ansible_host=10.1.2.3', { address: '10.1.2.3' }],
  ['ansible_ssh_host (old name)', 'h ansible_ssh_host=10.1.2.4', { address: '10.1.2.4' }],
  ['ansible_port', 'h ansible_port=2201', { port: 2201 }],
  ['quoted port', 'h ansible_port="2202"', { port: 2202 }],
  ['host:port', 'h:2203', { port: 2203 }],
  ['ansible_port beats host:port', 'h:2203 ansible_port=2204', { port: 2204 }],
  ['ansible_user', 'h ansible_user=ops', { user: 'ops' }],
  ['absolute key', 'h ansible_ssh_private_key_file=/keys/k', { privateKey: '/keys/k' }],
  ['home key', 'h ansible_ssh_private_key_file=~/.ssh/k', { privateKey: '/home/tester/.ssh/k' }],
  ['ProxyJump in common args', `h ansible_ssh_common_args='-o ProxyJump=jumper'`, { jump: 'jumper' }],
  ['ProxyJump with a space', `h ansible_ssh_common_args='-o "ProxyJump jumper2"'`, { jump: 'jumper2' }],
  ['-J in extra args', `h ansible_ssh_extra_args='-J ops@j:2222'`, { jump: 'ops@j:2222' }],
  ['-oProxyJump glued', `h ansible_ssh_common_args=-oProxyJump=j3`, { jump: 'j3' }],
  ['ProxyCommand ssh -W', `h ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p -q -p 2022 -l ops bastion"'`, { jump: 'ops@bastion:2022' }],
  ['ansible_timeout', 'h ansible_timeout=7', { connectTimeoutMs: 7000 }],
  ['become method sudo', 'h ansible_become_method=sudo', { become: { method: 'sudo' } }],
];
for (const [what, line, expected] of connections) {
  test(`INI connection: ${what}`, async () => {
    const h = host(await loadText('hosts', `${line}\n`), 'h');
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(h[key as keyof typeof h], value, key);
    assert.deepEqual(Object.keys(h.vars), [], 'connection vars do not stay in vars');
  });
}

test('INI: ansible_become_pass (old name) is a Secret', async () => {
  const h = host(await loadText('x.ini', 'h ansible_become_pass=pw-old-name\n'), 'h');
  assert.ok(isSecret(h.become.password));
  assert.equal(h.become.password?.reveal(), 'pw-old-name');
});

test('INI: connection vars from group vars, host line wins, children inherit', async () => {
  const inv = await loadText(
    'x.ini',
    ['[a]', 'h1', 'h2 ansible_port=2222', '[b:children]', 'a', '[b:vars]', 'ansible_port=2200', 'ansible_user=fromb', '[a:vars]', 'ansible_user=froma'].join('\n'),
  );
  assert.equal(host(inv, 'h1').port, 2200);
  assert.equal(host(inv, 'h2').port, 2222);
  assert.equal(host(inv, 'h1').user, 'froma', 'child group a (deeper) beats parent b');
});

test('INI: a host on several lines keeps every group and merges its vars, later lines winning', async () => {
  const inv = await loadText('x.ini', ['h x=1 y=1', '[g1]', 'h y=2 z=2', '[g2]', 'h z=3'].join('\n'));
  const h = host(inv, 'h');
  assert.deepEqual(h.vars, { x: 1, y: 2, z: 3 });
  assert.deepEqual(h.groups, ['all', 'g1', 'g2']);
  assert.deepEqual(inv.groups.get('ungrouped')?.hosts, [], 'a host listed in a group is no longer ungrouped');
});

test('INI: [all:vars], [ungrouped] and [all] sections', async () => {
  const inv = await loadText('x.ini', ['[all]', 'a1', '[ungrouped]', 'u1', '[all:vars]', 'k=v'].join('\n'));
  assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['a1', 'u1']);
  assert.equal(host(inv, 'u1').vars.k, 'v');
});

test('INI: comments with # and ;, inline # on host lines, blank lines', async () => {
  const inv = await loadText('x.ini', ['# c1', '; c2', '', '[g] # header comment', 'h1 k=v # trailing', '  ; indented comment', 'h2'].join('\n'));
  assert.deepEqual(inv.hosts.map((h) => h.name), ['h1', 'h2']);
  assert.deepEqual(host(inv, 'h1').vars, { k: 'v' });
});

test('INI: every problem at once, each with its line, and no password text', async () => {
  const text = [
    'good ansible_port=22', // 1
    'bad1 ansible_port=notaport', // 2
    'bad2 ansible_become_password=open sesame', // 3: unquoted space
    '[web:children]', // 4
    'nosuchgroup', // 5
    '[ghost:vars]', // 6
    'x=1', // 7
    '[broken', // 8
    '[g:weird]', // 9
    'h3 ansible_become_method=su', // 10 (still under [g:weird], which is skipped)
    '[g]', // 11
    "h4 ansible_become_password='half-open-pw", // 12
    'h5 ansible_become_method=su', // 13
    'h6 ansible_password=topsecret9', // 14
    'web[3:1]', // 15
  ].join('\n');
  const err = await loadError(loadText('x.ini', text));
  assert.deepEqual(
    err.problems.map((p) => [p.path, p.message]),
    [
      ['line 2', 'ansible_port must be a port number 1-65535, got "notaport"'],
      ['line 3', 'word 3 is not key=value (quote values that contain spaces)'],
      ['line 5', "unknown group 'nosuchgroup' in children of web"],
      ['line 6', '[ghost:vars] names a group that has no [ghost] or [ghost:children] section'],
      ['line 8', 'section header must be [group], [group:children] or [group:vars]'],
      ['line 9', 'section header must be [group], [group:children] or [group:vars]'],
      ['line 12', 'unclosed \' quote on a host line'],
      ['line 13', 'ansible_become_method only sudo is supported, got "su"'],
      ['line 14', 'ansible_password SSH password authentication is not supported: use a key (ansible_ssh_private_key_file) or the SSH agent'],
      ['line 15', 'range start 3 is after its end 1 in "web[3:1]"'],
    ],
  );
  assert.ok(err.problems.every((p) => p.file.endsWith('x.ini')));
  for (const leaked of ['sesame', 'half-open-pw', 'topsecret9']) assert.ok(!err.message.includes(leaked), `message leaks ${leaked}`);
});

test('INI: unknown child group is reported after parsing, with its line', async () => {
  const got = await problems('x.ini', ['[a:children]', 'b', 'typo'].join('\n') + '\n[b]\nh\n');
  assert.deepEqual(got, [{ path: 'line 3', message: "unknown group 'typo' in children of a" }]);
});

const formats: Array<[string, string | undefined]> = [
  ['inv.ts', 'module'],
  ['inv.mts', 'module'],
  ['inv.js', 'module'],
  ['inv.yml', 'yaml'],
  ['inv.yaml', 'yaml'],
  ['inv.ini', 'ini'],
  ['/etc/ansible/hosts', 'ini'],
  ['production', 'ini'],
  ['inv.toml', undefined],
];
for (const [file, format] of formats) {
  test(`format of ${file}`, () => assert.equal(inventoryFormat(file), format));
}

test('a file without extension is read as INI', async () => {
  const inv = await loadText('production', '[web]\nw1\n');
  assert.deepEqual(inv.groups.get('web')?.hosts, ['w1']);
});

test('INI: [g:vars] may come before [g], and [g:children] may name a group defined later', async () => {
  const inv = await loadText('x.ini', ['[g:vars]', 'ansible_user=early', 'k=v', '[p:children]', 'g', '[g]', 'h'].join('\n'));
  assert.equal(host(inv, 'h').user, 'early');
  assert.deepEqual(host(inv, 'h').vars, { k: 'v' });
  assert.deepEqual(host(inv, 'h').groups, ['all', 'p', 'g']);
});
