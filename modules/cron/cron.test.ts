import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { crontabFact, parseCrontab, type CrontabFact } from './facts.ts';
import { fileFact } from '../../engine/facts/file.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { cron, editCrontab, envValue, jobLine } from './cron.ts';
import { aFile, aGroup, aUser, nothingAt, planWith, predicted } from '../../test/unit/modules/fake-facts.ts';

const RENEW = { name: 'certbot renew', minute: '0', hour: '3', job: 'certbot renew --quiet && systemctl restart coturn' };
const tab = (content: string, user = 'root'): Record<string, CrontabFact> => ({ [crontabFact(user).key]: { exists: true, content } });
const root = { ...aUser('root', true, 0), ...aGroup('root', true, 0) };

describe('cron fact', () => {
  it('no crontab is empty text; an unknown user does not exist; the text is kept exactly', () => {
    assert.deepEqual(parseCrontab('root', 'crontab\n', 0), { exists: true, content: '' });
    assert.deepEqual(parseCrontab('root', 'crontab\n# x\n* * * * * a\n', 0), { exists: true, content: '# x\n* * * * * a\n' });
    assert.deepEqual(parseCrontab('bob', 'nouser\n', 0), { exists: false, content: '' });
    assert.throws(() => parseCrontab('root', 'crontab\n', 1), /cannot read/);
  });
});

describe('cron: editCrontab and jobLine', () => {
  it('the guide line', () => assert.equal(jobLine(RENEW), '0 3 * * * certbot renew --quiet && systemctl restart coturn'));
  it('special time and a cron.d user', () => assert.equal(jobLine({ specialTime: 'reboot', job: '/x' }, 'app'), '@reboot app /x'));
  it('adds a marker and the line at the end', () => {
    assert.deepEqual(editCrontab('MAILTO=a\n', { name: 'n', line: '* * * * * x' }), { text: 'MAILTO=a\n#shipshape: n\n* * * * * x\n', what: ['job n'] });
  });
  it('replaces the line below its marker, leaves others alone', () => {
    const text = '#shipshape: a\n1 * * * * a\n#shipshape: n\n2 * * * * old\n* * * * * unmanaged\n';
    assert.equal(editCrontab(text, { name: 'n', line: '5 * * * * new' }).text, '#shipshape: a\n1 * * * * a\n#shipshape: n\n5 * * * * new\n* * * * * unmanaged\n');
    assert.deepEqual(editCrontab(text, { name: 'n', line: '2 * * * * old' }).what, []);
  });
  it('absent removes the marker and its line, nothing when missing', () => {
    assert.equal(editCrontab('#shipshape: n\n* * * * * x\nA=1\n', { name: 'n', state: 'absent' }).text, 'A=1\n');
    assert.equal(editCrontab('#shipshape: n\n* * * * * x\n', { name: 'n', state: 'absent' }).text, '');
    assert.deepEqual(editCrontab('a=1\n', { name: 'n', state: 'absent' }).what, []);
  });
  it('environment lines: after the header comments, before jobs; changed values replaced', () => {
    const text = '# header\n#shipshape: n\n* * * * * x\n';
    assert.equal(editCrontab(text, { name: 'n', line: '* * * * * x', environment: { MAILTO: '', PATH: '/usr/bin:/bin' } }).text, '# header\nMAILTO=""\nPATH=/usr/bin:/bin\n#shipshape: n\n* * * * * x\n');
    assert.deepEqual(editCrontab('MAILTO=old\n', { name: 'n', state: 'absent', environment: { MAILTO: 'ops' } }), { text: 'MAILTO=ops\n', what: ['environment MAILTO'] });
  });
  it('a marker left without its line gets the line back', () => {
    assert.equal(editCrontab('#shipshape: n\n', { name: 'n', line: '* * * * * x' }).text, '#shipshape: n\n* * * * * x\n');
  });
});

describe('cron: an environment line that already holds the value as cron reads it is kept (issue 16, empty values)', () => {
  const rows: Array<[string, string, string]> = [
    ["MAILTO=''", 'MAILTO', ''],
    ['MAILTO=""', 'MAILTO', ''],
    ['MAILTO = ""  ', 'MAILTO', ''],
    ['PATH = "/usr/bin:/bin"', 'PATH', '/usr/bin:/bin'],
    ["PATH='/usr/bin:/bin'", 'PATH', '/usr/bin:/bin'],
    ['PATH=/usr/bin:/bin ', 'PATH', '/usr/bin:/bin'],
  ];
  for (const [line, name, value] of rows) {
    it(`${line.trim()} is ${name}='${value}': kept as written`, () => {
      assert.equal(envValue(line), value);
      assert.deepEqual(editCrontab(`${line}\n#shipshape: n\n* * * * * x\n`, { name: 'n', line: '* * * * * x', environment: { [name]: value } }).what, []);
    });
  }
  it("a different value is rewritten; an unmatched quote is part of the value", () => {
    assert.deepEqual(editCrontab("MAILTO='ops'\n", { name: 'n', state: 'absent', environment: { MAILTO: '' } }), { text: 'MAILTO=""\n', what: ['environment MAILTO'] });
    assert.equal(envValue(`MAILTO="x'`), `"x'`);
  });
});

describe('cron: plan, user crontab', () => {
  it("the guide's job in root's empty crontab: a text diff, crontab -u root - with the table on stdin, the prediction", async () => {
    const plan = await planWith(cron, RENEW, { ...aUser('root', true, 0), ...tab('') });
    const after = '#shipshape: certbot renew\n0 3 * * * certbot renew --quiet && systemctl restart coturn\n';
    assert.deepEqual(plan.changes, [{ what: 'job certbot renew', text: { path: 'crontab -u root', before: '', after } }]);
    assert.deepEqual(plan.steps, [{ kind: 'run', argv: ['crontab', '-u', 'root', '-'], stdin: after }]);
    assert.deepEqual(plan.after, { [crontabFact('root').key]: { exists: true, content: after } });
    const again = await planWith(cron, RENEW, { ...aUser('root', true, 0), ...plan.after! });
    assert.deepEqual([again.changes, again.steps], [[], []]);
  });

  it('a changed schedule replaces the line', async () => {
    const plan = await planWith(cron, { ...RENEW, hour: '4' }, { ...aUser('root', true, 0), ...tab('#shipshape: certbot renew\n0 3 * * * certbot renew\n') });
    assert.match((plan.steps[0] as any).stdin, /^#shipshape: certbot renew\n0 4 \* \* \* certbot renew --quiet/);
  });

  it('another user; a user an earlier task creates (predicted) plans on an empty crontab', async () => {
    const plan = await planWith(cron, { ...RENEW, user: 'app' }, { ...aUser('app'), [crontabFact('app').key]: { exists: false, content: '' } });
    assert.deepEqual((plan.steps[0] as any).argv, ['crontab', '-u', 'app', '-']);
  });

  it('a missing user: an error for present, nothing for absent', async () => {
    await assert.rejects(planWith(cron, { ...RENEW, user: 'ghost' }, { ...aUser('ghost', false), ...tab('', 'ghost') }), PlanError);
    const gone = await planWith(cron, { name: 'x', state: 'absent', user: 'ghost' }, { ...aUser('ghost', false), ...tab('', 'ghost') });
    assert.deepEqual(gone.steps, []);
  });

  it('a hostile job stays crontab text on stdin, never a shell word', async () => {
    const plan = await planWith(cron, { name: "x'; rm -rf /", job: 'echo $(id) `id` > /tmp/x' }, { ...aUser('root', true, 0), ...tab('') });
    assert.deepEqual((plan.steps[0] as any).argv, ['crontab', '-u', 'root', '-']);
    assert.match((plan.steps[0] as any).stdin, /^#shipshape: x'; rm -rf \/\n\* \* \* \* \* echo \$\(id\) `id` > \/tmp\/x\n$/);
  });

  it('bad params: a newline in job or name, special time with fields, present without job', async () => {
    await assert.rejects(planWith(cron, { name: 'x', job: 'a\n* * * * * evil' }, tab('')), /invalid params/);
    await assert.rejects(planWith(cron, { name: 'x\ny', job: 'a' }, tab('')), /invalid params/);
    await assert.rejects(planWith(cron, { name: 'x', job: 'a', specialTime: 'daily', hour: '3' }, tab('')), /not both/);
    await assert.rejects(planWith(cron, { name: 'x' }, tab('')), /needs job/);
    await assert.rejects(planWith(cron, { name: 'x', job: 'a', minute: '1 2' }, tab('')), /invalid params/);
    await assert.rejects(planWith(cron, { name: 'x', job: 'a', cronFile: 'a.b' }, tab('')), /invalid params/);
  });
});

describe('cron: plan, /etc/cron.d file', () => {
  const P = '/etc/cron.d/backup';
  const BACKUP = { name: 'backup', cronFile: 'backup', user: 'app', specialTime: 'daily', job: '/usr/local/bin/backup', environment: { MAILTO: '' } };

  it('a new file: the user in the line, root 0644, atomic write', async () => {
    const plan = await planWith(cron, BACKUP, { ...aUser('app'), ...root, ...nothingAt(P) });
    const text = 'MAILTO=""\n#shipshape: backup\n@daily app /usr/local/bin/backup\n';
    assert.deepEqual(plan.changes[0]!.text, { path: P, before: '', after: text });
    assert.deepEqual(plan.steps, [{ kind: 'write', path: P, content: text, mode: '0644', owner: 'root', group: 'root' }]);
    assert.equal(predicted(plan, fileFact(P))!.content, text);
    const again = await planWith(cron, BACKUP, { ...aUser('app'), ...root, ...plan.after! });
    assert.deepEqual(again.steps, []);
  });

  it('the last job absent removes the file; with another job left it rewrites it', async () => {
    const only = await planWith(cron, { ...BACKUP, state: 'absent' }, { ...aUser('app'), ...root, ...aFile(P, 'MAILTO=""\n#shipshape: backup\n@daily app x\n') });
    assert.deepEqual(only.steps, [{ kind: 'remove', path: P }]);
    assert.equal(predicted(only, fileFact(P))!.exists, false);
    const two = await planWith(cron, { ...BACKUP, state: 'absent' }, { ...aUser('app'), ...root, ...aFile(P, '#shipshape: backup\n@daily app x\n#shipshape: b\n@daily app y\n') });
    assert.equal((two.steps[0] as any).content, 'MAILTO=""\n#shipshape: b\n@daily app y\n', 'the environment lines stay set');
  });

  it('wrong mode on a converged file: chmod only', async () => {
    const plan = await planWith(cron, BACKUP, { ...aUser('app'), ...root, ...aFile(P, 'MAILTO=""\n#shipshape: backup\n@daily app /usr/local/bin/backup\n', { mode: '0600' }) });
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: P, mode: '0644' }]);
  });
});
