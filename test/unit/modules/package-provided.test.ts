// What a package installed earlier in the same run provides (ufw itself, coturn's turnserver group)
// is not on a fresh host during a dry run: modules plan against it instead of failing, and fail as
// before when no apt task installs anything.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ufwFact } from '../../../modules/ufw/facts.ts';
import { ABSENT_FILE, fileKey } from '../../../engine/facts/file.ts';
import { groupKey, userKey } from '../../../engine/facts/user.ts';
import { ufw } from '../../../modules/ufw/ufw.ts';
import { file } from '../../../modules/file/file.ts';
import { planWith } from './fake-facts.ts';

const notInstalled = { [ufwFact().key]: { installed: false, enabled: false, incoming: null, outgoing: null, routed: null, rules: [], other: [] } };
const firewall = { default: { incoming: 'deny', outgoing: 'allow' }, rules: [{ rule: 'allow', port: 22, proto: 'tcp' }], state: 'enabled' };

describe('state provided by packages an earlier task installs', () => {
  it('ufw installed by an earlier apt task: planned against the package defaults', async () => {
    const plan = await planWith(ufw, firewall, notInstalled, { packages: { installs: ['fail2ban', 'ufw'] } });
    const what = plan.changes.map((c) => c.what);
    assert.ok(what.some((w) => /22/.test(w)), `the rule is added: ${what.join(', ')}`);
    assert.ok(what.includes('firewall'), `ufw is enabled: ${what.join(', ')}`);
    assert.deepEqual(plan.changes.find((c) => c.what === 'firewall')?.after, 'enabled');
    assert.ok(!what.some((w) => /incoming/.test(w)), 'incoming is already deny in the package defaults');
  });

  it('ufw not installed and no apt task installs it: a clear error', async () => {
    await assert.rejects(planWith(ufw, firewall, notInstalled, { packages: { installs: ['fail2ban'] } }), /ufw is not installed/);
  });

  it('a group a package creates: a file can be planned with it; without an install it is an error', async () => {
    const facts = { [fileKey('/var/log/turnserver')]: { ...ABSENT_FILE }, [userKey('turnserver')]: { exists: false, name: 'turnserver', uid: null, gid: null, home: null, shell: null }, [groupKey('turnserver')]: { exists: false, name: 'turnserver', gid: null, members: [] } };
    const params = { path: '/var/log/turnserver', state: 'directory', owner: 'turnserver', group: 'turnserver', mode: '0750' };
    const plan = await planWith(file, params, facts, { packages: { installs: ['coturn'] } });
    assert.equal(plan.changes.length > 0, true);
    await assert.rejects(planWith(file, params, facts), /owner 'turnserver' does not exist/);
  });
});
