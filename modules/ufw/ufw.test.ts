import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { inNetwork, normalAddress, parseChainRule, parseSshConnection, parseTuple, parseUfw, ufwFact, type UfwChainRule, type UfwFact, type UfwRule, type UfwSshConnection } from './facts.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { matchRule, ruleArgv, ufw, verdict } from './ufw.ts';
import { planWith, predicted, stepsOf } from '../../test/unit/modules/fake-facts.ts';

// Lines as ufw 0.36.2 on Debian 12 wrote them in the lab (see the lab test).
const FILES = [
  'ENABLED=no',
  'DEFAULT_INPUT_POLICY="DROP"',
  'DEFAULT_OUTPUT_POLICY="ACCEPT"',
  'DEFAULT_FORWARD_POLICY="REJECT"',
  'user.rules ### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=7373682079',
  'user.rules ### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in',
  'user.rules ### tuple ### limit tcp 5223 10.77.0.17 1000 10.0.0.0/8 in',
  'user.rules ### tuple ### reject any any 1.2.3.4 any 0.0.0.0/0 out',
  'user.rules ### tuple ### allow tcp 9999 0.0.0.0/0 any 0.0.0.0/0 in_eth0',
  'user6.rules ### tuple ### allow tcp 22 ::/0 any ::/0 in comment=7373682079',
  'user6.rules ### tuple ### allow tcp 22 ::/0 any ::/0 OpenSSH - in',
  'user6.rules ### tuple ### deny udp 53 2001:db8::/32 any ::/0 in',
  'user.rules ### tuple ### route:allow tcp 77 0.0.0.0/0 any 0.0.0.0/0 in',
  '',
].join('\n');

const r = (x: Partial<UfwRule>): UfwRule => ({ action: 'allow', direction: 'in', proto: 'tcp', port: '22', to: 'any', from: 'any', fromPort: 'any', ...x });

const hasV6 = (r: UfwRule) => [r.from, r.to].some((a) => a.includes(':'));
const hasV4 = (r: UfwRule) => [r.from, r.to].some((a) => a !== 'any' && !a.includes(':'));
/** A host's ufw state; unless given, each family's chain holds the rules of that family in their order, and the SSH connection is unknown. */
const fact = (x: Partial<UfwFact> = {}): Record<string, UfwFact> => {
  const rules = x.rules ?? [];
  const chains = x.chains ?? { v4: rules.filter((r) => !hasV6(r)), v6: rules.filter((r) => !hasV4(r)) };
  return { [ufwFact().key]: { installed: true, enabled: false, incoming: 'deny', outgoing: 'allow', routed: 'deny', rules: [], other: [], ipv6: true, ssh: null, ...x, chains } };
};

describe('ufw fact: parsing ufw files', () => {
  it('reads state, policies and tuples; v4 and v6 copies of a rule are one rule', () => {
    const f = parseUfw(FILES);
    assert.equal(f.enabled, false);
    assert.deepEqual([f.incoming, f.outgoing, f.routed], ['deny', 'allow', 'reject']);
    assert.deepEqual(f.rules, [
      r({ comment: 'ssh y' }),
      r({ app: 'OpenSSH' }),
      r({ action: 'limit', port: '5223', to: '10.77.0.17', fromPort: '1000', from: '10.0.0.0/8' }),
      r({ action: 'reject', direction: 'out', proto: 'any', port: 'any', to: '1.2.3.4' }),
      r({ port: '9999', interface: 'eth0' }),
      r({ action: 'deny', proto: 'udp', port: '53', to: '2001:db8::/32' }),
    ]);
    assert.deepEqual(f.other, ['route:allow tcp 77 0.0.0.0/0 any 0.0.0.0/0 in']);
  });
  it('each family in its order, logging rules and source apps too (route rules left out); IPV6; the SSH connection', () => {
    const f = parseUfw(['ssh=10.77.0.1 40312 10.77.0.17 22', 'IPV6=yes', FILES, 'user.rules ### tuple ### deny_log-all any any 0.0.0.0/0 any 0.0.0.0/0 in', ''].join('\n'));
    assert.deepEqual(f.chains.v4.map((x) => x.action), ['allow', 'allow', 'limit', 'reject', 'allow', 'deny']);
    assert.equal(f.chains.v4[5]!.log, 'log-all');
    assert.deepEqual(f.chains.v6.map((x) => `${x.action} ${x.port}`), ['allow 22', 'allow 22', 'deny 53']);
    assert.equal(f.ipv6, true);
    assert.equal(parseUfw(FILES).ipv6, false, 'IPV6 unset: ufw leaves IPv6 to its drop-all');
    assert.deepEqual(f.ssh, SEEN);
    assert.deepEqual(parseChainRule('allow any any 0.0.0.0/0 any 0.0.0.0/0 - Samba in')?.sourceApp, 'Samba');
    assert.equal(parseTuple('allow_log tcp 22 0.0.0.0/0 any 0.0.0.0/0 in'), undefined, 'the module manages plain rules only');
    assert.equal(parseChainRule('route:allow tcp 77 0.0.0.0/0 any 0.0.0.0/0 in'), undefined);
  });
  it('SSH_CONNECTION: IPv4, IPv6, IPv4-mapped, and nothing readable', () => {
    assert.deepEqual(parseSshConnection('2001:db8::1 40312 2001:db8::17 22'), SEEN6);
    assert.equal(parseSshConnection('::ffff:10.77.0.1 40312 ::ffff:10.77.0.17 22')?.client, '10.77.0.1');
    assert.equal(parseSshConnection(''), null);
    assert.equal(parseSshConnection('x y z w'), null);
    assert.equal(parseUfw('ssh=\nnotinstalled\n').ssh, null);
    assert.deepEqual(parseUfw('ssh=10.77.0.1 40312 10.77.0.17 22\nnotinstalled\n').ssh, SEEN);
  });
  it('normalAddress: every form ufw rewrites compares as ufw stores it (issue 16, defect 5)', () => {
    const table: Array<[string, string]> = [
      ['2001:DB8::1', '2001:db8::1'], ['2001:db8:0:0::5', '2001:db8::5'], ['2001:db8:0:0:0:0:0:5/128', '2001:db8::5'],
      ['2001:DB8:1:2:3:4:5:6/64', '2001:db8:1:2:3:4:5:6/64'], ['2001:db8:0:0:1:0:0:0/64', '2001:db8:0:0:1::/64'], ['1:0:0:1:0:0:0:1', '1:0:0:1::1'], ['2001:0:0:1::1', '2001:0:0:1::1'],
      ['fe80::1:0:0:1', 'fe80::1:0:0:1'], ['::ffff:10.0.0.1', '::ffff:10.0.0.1'], ['::1', '::1'], ['::/0', 'any'],
      ['10.1.2.3/8', '10.0.0.0/8'], ['192.168.1.77/24', '192.168.1.0/24'], ['10.1.2.3/32', '10.1.2.3'], ['10.9.9.9/0', 'any'], ['0.0.0.0/0', 'any'],
    ];
    for (const [given, stored] of table) assert.equal(normalAddress(given), stored, given);
  });
  it('inNetwork: IPv4 and IPv6 networks, single addresses, other families', () => {
    assert.equal(inNetwork('10.77.0.1', '10.77.0.0/24'), true);
    assert.equal(inNetwork('10.77.1.1', '10.77.0.0/24'), false);
    assert.equal(inNetwork('10.77.0.1', '10.77.0.1'), true);
    assert.equal(inNetwork('10.77.0.1', '0.0.0.0/0'), true);
    assert.equal(inNetwork('2001:db8::1', '2001:db8::/32'), true);
    assert.equal(inNetwork('2001:db9::1', '2001:db8::/32'), false);
    assert.equal(inNetwork('::ffff:0a4d:1', '::ffff:10.77.0.0/120'), true);
    assert.equal(inNetwork('10.77.0.1', '2001:db8::/32'), false);
    assert.equal(inNetwork('10.77.0.1', 'any'), true);
    assert.equal(inNetwork('10.77.0.1', 'bogus'), undefined);
  });
  it('ENABLED=yes, and a host without ufw', () => {
    assert.equal(parseUfw('ENABLED=yes\n').enabled, true);
    assert.equal(parseUfw('notinstalled\n').installed, false);
  });
  it('an app name with spaces', () => {
    assert.equal(parseTuple('allow tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 Nginx%20Full - in')?.app, 'Nginx Full');
  });
});

const GUIDE = { default: { incoming: 'deny', outgoing: 'allow' }, state: 'enabled', rules: [{ rule: 'allow', port: 22, proto: 'tcp' }, { rule: 'allow', port: 5223, proto: 'tcp', comment: 'relay' }] };

describe('ufw: plan', () => {
  it('the guide firewall on a fresh host: rules first, then policies, then enable; predicted state', async () => {
    const plan = await planWith(ufw, GUIDE, fact({ incoming: 'deny', outgoing: 'allow' }));
    assert.deepEqual(plan.changes.map((c) => c.what), ['rule allow in 22/tcp', 'rule allow in 5223/tcp', 'firewall']);
    assert.deepEqual(stepsOf(plan), [
      { kind: 'run', argv: ['ufw', 'allow', 'in', 'proto', 'tcp', 'from', 'any', 'to', 'any', 'port', '22'] },
      { kind: 'run', argv: ['ufw', 'allow', 'in', 'proto', 'tcp', 'from', 'any', 'to', 'any', 'port', '5223', 'comment', 'relay'] },
      { kind: 'run', argv: ['ufw', '--force', 'enable'] },
    ]);
    const after = predicted(plan, ufwFact())!;
    assert.equal(after.enabled, true);
    assert.deepEqual(after.rules, [r({}), r({ port: '5223', comment: 'relay' })]);
  });

  it('converged: no change, no step', async () => {
    const plan = await planWith(ufw, GUIDE, fact({ enabled: true, rules: [r({}), r({ port: '5223', comment: 'relay' })] }));
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.steps, []);
  });

  it('the predicted state converges: planning again on it changes nothing', async () => {
    const first = await planWith(ufw, GUIDE, fact({ incoming: 'allow' }));
    const again = await planWith(ufw, GUIDE, first.after!);
    assert.deepEqual(again.changes, []);
  });

  it('each difference: a policy, a comment, another action at the same place', async () => {
    const plan = await planWith(ufw, GUIDE, fact({ enabled: true, incoming: 'allow', rules: [r({}), r({ action: 'deny', port: '5223', comment: 'relay' })] }));
    assert.deepEqual(plan.changes, [
      { what: 'rule allow in 5223/tcp', before: 'deny in 5223/tcp (relay)', after: 'allow in 5223/tcp (relay)' },
      { what: 'default incoming', before: 'allow', after: 'deny' },
    ]);
    assert.deepEqual(stepsOf(plan).map((s: any) => s.argv.join(' ')), [
      'ufw allow in proto tcp from any to any port 5223 comment relay',
      'ufw default deny incoming',
    ]);
    const comment = await planWith(ufw, GUIDE, fact({ enabled: true, rules: [r({}), r({ port: '5223', comment: 'old' })] }));
    assert.deepEqual(comment.changes.map((c) => c.after), ['allow in 5223/tcp (relay)']);
  });

  it('a rule without a comment matches one with a comment', async () => {
    const plan = await planWith(ufw, { rule: 'allow', port: 22, proto: 'tcp' }, fact({ rules: [r({ comment: 'ssh' })] }));
    assert.deepEqual(plan.changes, []);
  });

  it('a single rule per task; a later task sees the earlier one predicted', async () => {
    const one = await planWith(ufw, { rule: 'limit', app: 'OpenSSH' }, fact());
    assert.deepEqual(stepsOf(one), [{ kind: 'run', argv: ['ufw', 'limit', 'in', 'from', 'any', 'to', 'any', 'app', 'OpenSSH'] }]);
    const two = await planWith(ufw, { default: { incoming: 'deny' }, state: 'enabled' }, one.after!);
    assert.deepEqual(two.changes.map((c) => c.what), ['firewall'], 'the OpenSSH rule of the first task keeps port 22 open: no lockout error');
  });

  it('delete: removes a present rule (same action), nothing for an absent one', async () => {
    const plan = await planWith(ufw, { rule: 'allow', port: 8080, proto: 'tcp', delete: true }, fact({ rules: [r({}), r({ port: '8080', comment: 'x' })] }));
    assert.deepEqual(stepsOf(plan), [{ kind: 'run', argv: ['ufw', 'delete', 'allow', 'in', 'proto', 'tcp', 'from', 'any', 'to', 'any', 'port', '8080'] }]);
    assert.deepEqual(predicted(plan, ufwFact())!.rules, [r({})]);
    const none = await planWith(ufw, { rule: 'deny', port: 8080, proto: 'tcp', delete: true }, fact({ rules: [r({ port: '8080' })] }));
    assert.deepEqual(none.changes, []);
  });

  it('addresses, source ports, interfaces, out rules and udp lists in the argv', () => {
    assert.deepEqual(ruleArgv({ rule: 'allow', proto: 'udp', port: '3478,5349', from: '10.0.0.0/8', fromPort: 1000, to: '10.77.0.5', interface: 'eth0' }),
      ['ufw', 'allow', 'in', 'on', 'eth0', 'proto', 'udp', 'from', '10.0.0.0/8', 'port', '1000', 'to', '10.77.0.5', 'port', '3478,5349']);
    assert.deepEqual(ruleArgv({ rule: 'reject', direction: 'out', to: '1.2.3.4' }), ['ufw', 'reject', 'out', 'from', 'any', 'to', '1.2.3.4']);
  });

  it('a hostile comment stays one argv word', async () => {
    const plan = await planWith(ufw, { rule: 'allow', port: 80, proto: 'tcp', comment: 'x; rm -rf / $(id) `id`' }, fact());
    assert.deepEqual((plan.steps[0] as any).argv.slice(-2), ['comment', 'x; rm -rf / $(id) `id`']);
  });

  it('state disabled, and reloaded as an unannounced action', async () => {
    const off = await planWith(ufw, { state: 'disabled' }, fact({ enabled: true }));
    assert.deepEqual(stepsOf(off), [{ kind: 'run', argv: ['ufw', 'disable'] }]);
    const reload = await planWith(ufw, { state: 'reloaded' }, fact({ enabled: true }));
    assert.deepEqual(reload.changes, []);
    assert.equal((reload.steps[0] as any).argv.join(' '), 'ufw reload');
    assert.equal((reload.steps[0] as any).reportsChange, undefined, 'a reload is never reported as a change');
    assert.deepEqual((await planWith(ufw, { state: 'reloaded' }, fact())).steps, [], 'nothing to reload while disabled');
  });

  it('bad params are refused before any host: app with port, list without proto, rule fields without rule', async () => {
    await assert.rejects(planWith(ufw, { rule: 'allow', app: 'OpenSSH', port: 22 }, fact()), /app or port/);
    await assert.rejects(planWith(ufw, { rule: 'allow', port: '80,443' }, fact()), /needs proto/);
    await assert.rejects(planWith(ufw, { port: 22 }, fact()), /give its action in rule/);
    await assert.rejects(planWith(ufw, { rules: [{ rule: 'allow', port: '22; reboot' }] }, fact()), /invalid params/);
  });

  it('ufw missing: a clear error', async () => {
    await assert.rejects(planWith(ufw, GUIDE, { [ufwFact().key]: parseUfw('notinstalled\n') }), (e: Error) => e instanceof PlanError && /not installed/.test(e.message));
  });
});

describe('ufw: lockout guard', () => {
  const refused = (e: Error) => e instanceof PlanError && /port 22\/tcp, the SSH port/.test(e.message);

  it('refuses to enable deny-incoming without a rule for the SSH port', async () => {
    await assert.rejects(planWith(ufw, { default: { incoming: 'deny' }, state: 'enabled', rules: [{ rule: 'allow', port: 5223, proto: 'tcp' }] }, fact()), refused);
  });
  it('refuses reject-incoming on an enabled firewall, and deleting the SSH rule while enabled', async () => {
    await assert.rejects(planWith(ufw, { default: { incoming: 'reject' } }, fact({ enabled: true, incoming: 'allow' })), (e: Error) => /rejected/.test(e.message));
    await assert.rejects(planWith(ufw, { rule: 'allow', port: 22, proto: 'tcp', delete: true }, fact({ enabled: true, rules: [r({})] })), refused);
    await assert.rejects(planWith(ufw, { rule: 'deny', port: 22, proto: 'tcp' }, fact({ enabled: true, rules: [r({})] })), refused, 'a deny replacing the allow');
  });
  it('uses the port the engine is connected through', async () => {
    await assert.rejects(planWith(ufw, GUIDE, fact(), { sshPort: 2222 }), (e: Error) => /port 2222\/tcp/.test(e.message));
    const ok = await planWith(ufw, { ...GUIDE, rules: [{ rule: 'limit', port: '2000:3000', proto: 'tcp' }] }, fact(), { sshPort: 2222 });
    assert.equal(ok.changes.length, 2);
  });
  it('allows: deny-incoming while disabled, allow-incoming enabled, an existing rule, an OpenSSH app rule', async () => {
    assert.ok((await planWith(ufw, { default: { incoming: 'deny' } }, fact({ incoming: 'allow' }))).changes.length === 1);
    assert.ok((await planWith(ufw, { default: { incoming: 'allow' }, state: 'enabled' }, fact())).changes.length === 2);
    assert.ok((await planWith(ufw, { state: 'enabled' }, fact({ rules: [r({ port: '22,80' })] }))).changes.length === 1);
    assert.ok((await planWith(ufw, { state: 'enabled', rule: 'allow', app: 'OpenSSH' }, fact())).changes.length === 2);
  });
  it('matchRule: in, tcp/any, the port in a list or range; other rules do not match', () => {
    const a = { family: 'v4' as const, client: '10.77.0.1', server: '10.77.0.17', port: 22 };
    assert.equal(matchRule(r({ direction: 'out' }), a).is, 'no');
    assert.equal(matchRule(r({ action: 'deny' }), a).is, 'yes', 'deny matches too: the action is the verdict, not the match');
    assert.equal(matchRule(r({ proto: 'udp' }), a).is, 'no');
    assert.equal(matchRule(r({ proto: 'any', port: 'any' }), a).is, 'yes');
    assert.equal(matchRule(r({ port: '20:30' }), a).is, 'yes');
    assert.equal(matchRule(r({ port: '80,20:21,23' }), a).is, 'no');
    assert.equal(matchRule(r({ from: '10.77.0.0/24' }), a).is, 'yes');
    assert.equal(matchRule(r({ from: '10.0.0.0/16' }), a).is, 'no');
    assert.equal(matchRule(r({ to: '10.77.0.17' }), a).is, 'yes');
    assert.equal(matchRule(r({ from: '10.0.0.0/8' }), { family: 'v4', port: 22 }).is, 'maybe', 'the address the host sees is unknown');
    assert.equal(matchRule(r({ interface: 'eth0' }), a).is, 'maybe');
    assert.equal(matchRule(r({ fromPort: '1024:65535' }), a).is, 'maybe');
    assert.equal(matchRule(r({ app: 'Nginx Full', proto: 'any', port: 'any' }), a).is, 'maybe', 'an app the engine does not know the ports of');
    assert.equal(matchRule({ ...r({ action: 'deny', proto: 'any', port: 'any' }), sourceApp: 'Samba' }, a).is, 'maybe');
  });
});

// The controller as the lab host sees it (SSH_CONNECTION), over IPv4 and over IPv6.
const SEEN: UfwSshConnection = { client: '10.77.0.1', clientPort: 40312, server: '10.77.0.17', serverPort: 22 };
const SEEN6: UfwSshConnection = { client: '2001:db8::1', clientPort: 40312, server: '2001:db8::17', serverPort: 22 };
const ENABLE = { default: { incoming: 'deny' }, state: 'enabled' };
const ALLOW_SSH = { rule: 'allow', port: 22, proto: 'tcp' };

interface Row {
  name: string;
  params: Record<string, unknown>;
  host?: Partial<UfwFact>;
  sshPort?: number;
  /** What the error must say; undefined: planned (not refused). */
  refused?: RegExp;
}

const REFUSED: Row[] = [
  { name: 'deny in any before allow 22, deny policy', params: { ...ENABLE, rules: [{ rule: 'deny' }, ALLOW_SSH] }, host: { ssh: SEEN }, refused: /the rule 'deny in any traffic' blocks new connections to port 22\/tcp, the SSH port the engine is connected to web1 through, and ufw applies the first rule that matches/ },
  { name: 'an existing deny in any, an allow 22 appended after it', params: ALLOW_SSH, host: { enabled: true, rules: [r({ action: 'deny', proto: 'any', port: 'any' })], ssh: SEEN }, refused: /the rule 'deny in any traffic' blocks/ },
  { name: 'reject 22 under an allow policy', params: { rule: 'reject', port: 22, proto: 'tcp' }, host: { enabled: true, incoming: 'allow', ssh: SEEN }, refused: /the rule 'reject in 22\/tcp' blocks new connections to port 22\/tcp/ },
  { name: 'deny 22 under an allow policy, enabling', params: { state: 'enabled', default: { incoming: 'allow' }, rule: 'deny', port: 22, proto: 'tcp' }, host: { ssh: SEEN }, refused: /the rule 'deny in 22\/tcp' blocks/ },
  { name: 'a deny replacing the allow where it stands, before an allow of any port, allow policy', params: { rule: 'deny', port: 22, proto: 'tcp' }, host: { enabled: true, incoming: 'allow', rules: [r({}), r({ proto: 'any', port: 'any', from: '10.77.0.0/24' })], ssh: SEEN }, refused: /the rule 'deny in 22\/tcp' blocks/ },
  { name: 'deleting the allow leaves a deny in any first, allow policy', params: { ...ALLOW_SSH, delete: true }, host: { enabled: true, incoming: 'allow', rules: [r({}), r({ action: 'deny', proto: 'any', port: 'any' })], ssh: SEEN }, refused: /the rule 'deny in any traffic' blocks/ },
  { name: 'allow 22 from another network only', params: { ...ENABLE, rules: [{ ...ALLOW_SSH, from: '10.0.0.0/16' }] }, host: { ssh: SEEN }, refused: /no rule allows port 22\/tcp[^]*'allow in 22\/tcp from 10\.0\.0\.0\/16' does not match: the host sees the engine connect from 10\.77\.0\.1/ },
  { name: 'allow 22 from a network, the address the host sees unknown', params: { ...ENABLE, rules: [{ ...ALLOW_SSH, from: '10.77.0.0/24' }] }, host: { ssh: null }, refused: /may not match: the engine could not read the address the host sees its connections come from/ },
  { name: "a deny of the controller's /32 first", params: { ...ENABLE, rules: [{ rule: 'deny', from: '10.77.0.1' }, ALLOW_SSH] }, host: { ssh: SEEN }, refused: /the rule 'deny in any traffic from 10\.77\.0\.1' blocks new connections to port 22\/tcp, [^(]*\(the host sees the engine connect from 10\.77\.0\.1\)/ },
  { name: "a deny of the controller's network first", params: { ...ENABLE, rules: [{ rule: 'reject', proto: 'tcp', from: '10.77.0.0/24' }, ALLOW_SSH] }, host: { ssh: SEEN }, refused: /'reject in tcp traffic from 10\.77\.0\.0\/24' blocks/ },
  { name: 'a deny from a network, the address the host sees unknown', params: { ...ENABLE, rules: [{ rule: 'deny', from: '203.0.113.0/24' }, ALLOW_SSH] }, host: { ssh: null }, refused: /'deny in any traffic from 203\.0\.113\.0\/24' may block [^]*could not read the address the host sees/ },
  { name: 'a deny of the port range 20:30 before allow 22', params: { ...ENABLE, rules: [{ rule: 'deny', port: '20:30', proto: 'tcp' }, ALLOW_SSH] }, host: { ssh: SEEN }, refused: /'deny in 20:30\/tcp' blocks/ },
  { name: 'a deny on an interface before allow 22: it may be the one the engine comes in on', params: { ...ENABLE, rules: [{ rule: 'deny', interface: 'eth1' }, ALLOW_SSH] }, host: { ssh: SEEN }, refused: /may block [^]*cannot tell which interface/ },
  { name: 'a deny of any source port range before allow 22', params: { ...ENABLE, rules: [{ rule: 'deny', proto: 'tcp', fromPort: '1024:65535' }, ALLOW_SSH] }, host: { ssh: SEEN }, refused: /may block [^]*the controller picks its source port/ },
  { name: 'an IPv6-only allow, the engine on IPv4', params: ENABLE, host: { rules: [r({})], chains: { v4: [], v6: [r({})] }, ssh: SEEN }, refused: /while no rule allows port 22\/tcp/ },
  { name: 'an allow limited to an IPv6 network, the engine on IPv4', params: { ...ENABLE, rules: [{ ...ALLOW_SSH, from: '2001:db8::/32' }] }, host: { ssh: SEEN }, refused: /while no rule allows port 22\/tcp/ },
  { name: 'an allow limited to an IPv4 network, the engine on IPv6', params: { ...ENABLE, rules: [{ ...ALLOW_SSH, from: '10.77.0.0/24' }] }, host: { ssh: SEEN6 }, refused: /while no IPv6 rule allows port 22\/tcp/ },
  { name: 'IPV6=no, the engine on IPv6', params: { ...ENABLE, rules: [ALLOW_SSH] }, host: { ipv6: false, ssh: SEEN6 }, refused: /IPV6=no in \/etc\/default\/ufw: ufw then drops all IPv6 traffic but loopback, and the engine reaches web1 over IPv6 \(the host sees the engine connect from 2001:db8::1\)/ },
  { name: 'address unknown and a name: a v6 chain without the allow', params: ENABLE, host: { rules: [r({})], chains: { v4: [r({})], v6: [] } }, refused: /while no IPv6 rule allows port 22\/tcp/ },
  { name: 'an allow of an app profile whose ports the engine does not know', params: { ...ENABLE, rules: [{ rule: 'allow', app: 'Nginx Full' }] }, host: { ssh: SEEN }, refused: /'allow in app Nginx Full' may not match: the ports of app profile Nginx Full are not known/ },
  { name: 'a logging deny the host holds (deny log), an allow 22 after it', params: ALLOW_SSH, host: { enabled: true, chains: { v4: [{ ...r({ action: 'deny', proto: 'any', port: 'any' }), log: 'log' }], v6: [] }, ssh: SEEN }, refused: /the rule 'deny in any traffic log' blocks/ },
  { name: 'the engine on port 2222: a deny of 2000:3000 first', params: { ...ENABLE, rules: [{ rule: 'deny', port: '2000:3000', proto: 'tcp' }, { rule: 'allow', port: 2222, proto: 'tcp' }] }, host: { ssh: { ...SEEN, serverPort: 2222 } }, sshPort: 2222, refused: /'deny in 2000:3000\/tcp' blocks new connections to port 2222\/tcp/ },
];

const PLANNED: Row[] = [
  { name: 'limit 22 lets a first connection in', params: { ...ENABLE, rules: [{ rule: 'limit', port: 22, proto: 'tcp' }] }, host: { ssh: SEEN } },
  { name: 'limit OpenSSH (port 22 by its profile)', params: { ...ENABLE, rules: [{ rule: 'limit', app: 'OpenSSH' }] }, host: { ssh: SEEN } },
  { name: 'a deny from another network before allow 22', params: { ...ENABLE, rules: [{ rule: 'deny', from: '203.0.113.0/24' }, ALLOW_SSH] }, host: { ssh: SEEN } },
  { name: "an allow from the controller's network", params: { ...ENABLE, rules: [{ ...ALLOW_SSH, from: '10.77.0.0/24' }] }, host: { ssh: SEEN } },
  { name: 'an allow to the address the engine reaches', params: { ...ENABLE, rules: [{ ...ALLOW_SSH, to: '10.77.0.17' }] }, host: { ssh: SEEN } },
  { name: 'a deny of outgoing traffic and of udp 22 first', params: { ...ENABLE, rules: [{ rule: 'deny', direction: 'out' }, { rule: 'deny', port: 22, proto: 'udp' }, ALLOW_SSH] }, host: { ssh: SEEN } },
  { name: 'reject 80 under an allow policy', params: { state: 'enabled', default: { incoming: 'allow' }, rule: 'reject', port: 80, proto: 'tcp' }, host: { ssh: SEEN } },
  { name: 'IPv6: allow 22 holds for both families', params: { ...ENABLE, rules: [ALLOW_SSH] }, host: { ssh: SEEN6 } },
  { name: 'port forwarded to the host: the inventory says 2222, the host sees 22', params: { ...ENABLE, rules: [ALLOW_SSH] }, host: { ssh: { ...SEEN, serverPort: 22 } }, sshPort: 2222 },
  { name: 'the engine on loopback: before.rules let it in', params: ENABLE, host: { ssh: { ...SEEN, client: '127.0.0.1', server: '127.0.0.1' } } },
  { name: 'an enabled firewall the guard cannot prove open stays as it is: adding a rule is no new cause', params: { rule: 'allow', port: 80, proto: 'tcp' }, host: { enabled: true, rules: [r({ interface: 'eth0' })], ssh: SEEN } },
];

describe('ufw: lockout guard, evaluated as the firewall does (first match, per family, every policy)', () => {
  const run = (row: Row) => planWith(ufw, row.params, fact(row.host), { sshPort: row.sshPort });
  const named = (name: string) => REFUSED.find((row) => row.name === name)!;
  it('refused', async () => {
    for (const row of REFUSED) {
      await assert.rejects(run(row), (e: Error) => {
        assert.ok(e instanceof PlanError, `${row.name}: ${e.message}`);
        assert.match(e.message, row.refused!, row.name);
        assert.match(e.message, /lock the engine \(and you\) out/, row.name);
        return true;
      }, row.name);
    }
  });
  it('planned', async () => {
    for (const row of PLANNED) {
      const plan = await run(row).catch((e: Error) => assert.fail(`${row.name}: ${e.message}`));
      assert.ok(plan.changes.length > 0, row.name);
    }
  });
  it('the error says what to add or move', async () => {
    await assert.rejects(run(named('deny in any before allow 22, deny policy')), /Delete or narrow that rule, or let 22\/tcp in before it: ufw adds rules in the order given, at the end, so give \{ rule: 'allow', port: 22, proto: 'tcp' \} or \{ rule: 'limit', app: 'OpenSSH' \} before it\./);
    await assert.rejects(run(named('an existing deny in any, an allow 22 appended after it')), /Delete or narrow that rule, or let 22\/tcp in before it: ufw adds rules at the end, so add \{ rule: 'allow', port: 22, proto: 'tcp' \} or \{ rule: 'limit', app: 'OpenSSH' \} and delete that rule in one task, then add the rule again in a later task\./);
    await assert.rejects(run(named('an IPv6-only allow, the engine on IPv4')), /Only IPv6 rules allow it: ufw keeps the IPv4 and IPv6 rules apart/);
    await assert.rejects(run(named('allow 22 from another network only')), /Add a rule such as \{ rule: 'allow', port: 22, proto: 'tcp' \} or \{ rule: 'limit', app: 'OpenSSH' \} to this task or an earlier one/);
  });
  it('an enabled firewall that already blocks: certain causes are still refused, a new uncertain one too', async () => {
    // The engine came in through an interface rule the guard cannot prove; a deny in its place is a new cause.
    await assert.rejects(planWith(ufw, { rule: 'deny', port: 22, proto: 'tcp', interface: 'eth0' }, fact({ enabled: true, rules: [r({ interface: 'eth0' })], ssh: SEEN })), /the rule 'deny in 22\/tcp on eth0' may block/);
    // No rule lets it in at all (an established connection survives it): a plan that leaves it so is refused, one that opens it is planned.
    await assert.rejects(planWith(ufw, { rule: 'allow', port: 80, proto: 'tcp' }, fact({ enabled: true, ssh: SEEN })), /while no rule allows port 22\/tcp/);
    assert.ok((await planWith(ufw, ALLOW_SSH, fact({ enabled: true, ssh: SEEN }))).changes.length === 1);
  });
  it('verdict: the first match wins; limit lets in; no match: the policy; loopback always in', () => {
    const a = { family: 'v4' as const, client: '10.77.0.1', server: '10.77.0.17', port: 22 };
    const chain = (...rules: UfwChainRule[]) => ({ incoming: 'deny' as const, ipv6: true, chains: { v4: rules, v6: [] } });
    assert.equal(verdict(chain(r({}), r({ action: 'deny', port: 'any', proto: 'any' })), a), undefined);
    assert.equal(verdict(chain(r({ action: 'limit' })), a), undefined);
    assert.match(verdict(chain(r({ action: 'deny', port: 'any', proto: 'any' }), r({})), a)!.key, /^v4 rule deny /);
    assert.equal(verdict(chain(), a)!.key, 'v4 policy deny');
    assert.equal(verdict({ ...chain(), incoming: 'allow' }, a), undefined);
    assert.equal(verdict({ ...chain(), incoming: 'reject' }, a)!.key, 'v4 policy reject');
    assert.equal(verdict(chain(), { ...a, client: '127.0.0.1' }), undefined);
  });
});
