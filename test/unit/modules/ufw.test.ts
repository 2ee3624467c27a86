import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseTuple, parseUfw, UFW_KEY, type UfwFact, type UfwRule } from '../../../engine/facts/ufw.ts';
import { PlanError } from '../../../engine/plan/types.ts';
import { allowsPort, ruleArgv, ufw } from '../../../modules/ufw.ts';
import { planWith, stepsOf } from './fake-facts.ts';

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

const fact = (x: Partial<UfwFact> = {}): Record<string, UfwFact> => ({
  [UFW_KEY]: { installed: true, enabled: false, incoming: 'deny', outgoing: 'allow', routed: 'deny', rules: [], other: [], ...x },
});

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
    const after = plan.after![UFW_KEY] as UfwFact;
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
    assert.deepEqual((plan.after![UFW_KEY] as UfwFact).rules, [r({})]);
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
    assert.equal((reload.steps[0] as any).reportsChange({ code: 0, stdout: '', stderr: '' }), false);
    assert.deepEqual((await planWith(ufw, { state: 'reloaded' }, fact())).steps, [], 'nothing to reload while disabled');
  });

  it('bad params are refused before any host: app with port, list without proto, rule fields without rule', async () => {
    await assert.rejects(planWith(ufw, { rule: 'allow', app: 'OpenSSH', port: 22 }, fact()), /app or port/);
    await assert.rejects(planWith(ufw, { rule: 'allow', port: '80,443' }, fact()), /needs proto/);
    await assert.rejects(planWith(ufw, { port: 22 }, fact()), /give its action in rule/);
    await assert.rejects(planWith(ufw, { rules: [{ rule: 'allow', port: '22; reboot' }] }, fact()), /invalid params/);
  });

  it('ufw missing: a clear error', async () => {
    await assert.rejects(planWith(ufw, GUIDE, { [UFW_KEY]: parseUfw('notinstalled\n') }), (e: Error) => e instanceof PlanError && /not installed/.test(e.message));
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
  it('allowsPort: in, allow/limit, tcp/any, port in list or range', () => {
    assert.equal(allowsPort([r({ direction: 'out' })], 22), false);
    assert.equal(allowsPort([r({ action: 'deny' })], 22), false);
    assert.equal(allowsPort([r({ proto: 'udp' })], 22), false);
    assert.equal(allowsPort([r({ proto: 'any', port: 'any' })], 22), true);
    assert.equal(allowsPort([r({ port: '20:30' })], 22), true);
  });
});
