// blockinfile on a real Debian 12 host: a block in sshd_config validated by sshd -t, a block in a
// file the task creates; the standard cycle; a block that fails validation leaves the file alone.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCycle } from '../cycle.ts';
import { engine, pairs } from '../engine-cli.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { sshRun } from '../../lab/index.ts';

const HOST = 'node3';
const PB = 'test/fixtures/playbooks/modules/blockinfile.ts';
const root = async (cmd: string) => (await sshRun(HOST, cmd, { user: 'root' })).stdout;
let inventory: string;

describe('blockinfile on a lab host', { timeout: 600_000 }, () => {
  before(async () => {
    inventory = (await ensureLab()).inventory;
    await freshHosts(HOST);
  });

  test('dry run, run, run again, check', async () => {
    const original = await root('cat /etc/ssh/sshd_config');
    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} hosts file`, `${HOST} sshd block`]);
    const now = await root('cat /etc/ssh/sshd_config');
    const block = '# BEGIN shipshape hardening\nMaxAuthTries 4\nLoginGraceTime 30\n# END shipshape hardening\n';
    assert.equal(now, original.replace(/^Include /m, `${block}Include `), 'the block sits before the Include line, the rest untouched');
    assert.equal(await root('stat -c %U:%G:%a /etc/ss-relays.conf; cat /etc/ss-relays.conf'), 'root:root:640\n# BEGIN MANAGED BLOCK\nrelay1 10.77.0.11\nrelay2 10.77.0.12\n# END MANAGED BLOCK\n');
    assert.match(await root('sshd -T | grep -i -E "^(maxauthtries|logingracetime)"'), /^logingracetime 30\nmaxauthtries 4$/m);
  });

  test('a block sshd -t refuses: the task fails and the file is unchanged', async () => {
    const before = await root('sha256sum /etc/ssh/sshd_config');
    const res = await engine(['run', PB, '-i', inventory, '--limit', HOST, '--json', '-e', 'bad=yes']);
    assert.notEqual(res.code, 0);
    assert.deepEqual(pairs(res, 'failed'), [`${HOST} sshd block`]);
    assert.equal(await root('sha256sum /etc/ssh/sshd_config'), before);
    assert.equal(await root('ls -a /etc/ssh | grep -c shipshape || true'), '0\n', 'no temp file left behind');
  });

  test('a block edited by hand is put back in place', async () => {
    await root("sed -i 's/^MaxAuthTries 4$/MaxAuthTries 9/' /etc/ssh/sshd_config");
    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} sshd block`]);
    assert.equal((await root('grep -c "^MaxAuthTries" /etc/ssh/sshd_config')).trim(), '1');
  });
});
