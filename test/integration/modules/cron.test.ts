// cron on a real Debian 12 host: root's crontab (the guide's renewal line), another user's crontab
// with an environment line, an /etc/cron.d file; the standard cycle, the tables read from outside,
// then every job absent (the cron.d file removed) with the same cycle.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCycle } from '../cycle.ts';
import { ensureLab, freshHosts } from '../lab-fixture.ts';
import { sshRun } from '../../lab/index.ts';

const HOST = 'node3';
const PB = 'test/fixtures/playbooks/modules/cron.ts';
const root = async (cmd: string) => (await sshRun(HOST, cmd, { user: 'root' })).stdout;

describe('cron on a lab host', { timeout: 600_000 }, () => {
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
  });

  test('fresh host: no crontab for root or deploy', async () => {
    assert.equal(await root('crontab -l -u root 2>&1; crontab -l -u deploy 2>&1'), 'no crontab for root\nno crontab for deploy\n');
  });

  test('dry run, run, run again, check: three jobs', async () => {
    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} certbot renew`, `${HOST} cron.d backup`, `${HOST} deploy heartbeat`]);
    const diff = cycle.dry.events.find((e) => e.type === 'task.result' && e.task === 'certbot renew');
    assert.equal(diff?.changes?.[0]?.text?.before, '', 'the dry run diff starts from the empty crontab');
    assert.equal(await root('crontab -l -u root'), '#shipshape: certbot renew\n0 3 * * * certbot renew --quiet && systemctl restart coturn\n');
    assert.equal(await root('crontab -l -u deploy'), 'MAILTO=""\n#shipshape: heartbeat\n* * * * * date > /tmp/ss-cron-heartbeat\n');
    assert.equal(await root('stat -c %U:%G:%a /etc/cron.d/ss-backup; cat /etc/cron.d/ss-backup'), 'root:root:644\nPATH=/usr/bin:/bin\n#shipshape: backup\n@daily deploy /usr/bin/true backup\n');
  });

  test('a job edited by hand is put back, an unmanaged line is kept', async () => {
    await root("(crontab -l -u root | sed 's/^0 3 /30 4 /'; echo '15 * * * * /usr/bin/true mine') | crontab -u root -");
    const cycle = await applyCycle(PB, { limit: HOST });
    assert.deepEqual(cycle.changed, [`${HOST} certbot renew`]);
    assert.equal(await root('crontab -l -u root'), '#shipshape: certbot renew\n0 3 * * * certbot renew --quiet && systemctl restart coturn\n15 * * * * /usr/bin/true mine\n');
  });

  test('cron runs the deploy job (the crontab is installed for real)', async () => {
    const deadline = Date.now() + 75_000;
    let seen = '';
    while (Date.now() < deadline && !seen) {
      seen = await root('stat -c %U /tmp/ss-cron-heartbeat 2>/dev/null');
      if (!seen) await new Promise((r) => setTimeout(r, 5000));
    }
    assert.equal(seen.trim(), 'deploy', 'the heartbeat file was written by deploy within a minute');
  });

  test('absent: the jobs go, the cron.d file is removed, the unmanaged line stays', async () => {
    const cycle = await applyCycle(PB, { limit: HOST, extra: ['-e', 'gone=yes'] });
    assert.deepEqual(cycle.changed, [`${HOST} certbot renew`, `${HOST} cron.d backup`, `${HOST} deploy heartbeat`]);
    assert.equal(await root('crontab -l -u root'), '15 * * * * /usr/bin/true mine\n');
    assert.equal(await root('crontab -l -u deploy'), 'MAILTO=""\n');
    assert.equal(await root('test -e /etc/cron.d/ss-backup && echo present || echo gone'), 'gone\n');
  });
});
