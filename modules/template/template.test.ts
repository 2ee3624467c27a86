import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileFact } from '../../engine/facts/file.ts';
import { PrepareError } from '../../engine/module.ts';
import { renderWrite, script } from '../../engine/plan/render.ts';
import type { WriteStep } from '../../engine/plan/types.ts';
import { isSecret, secret } from '../../engine/secret.ts';
import { renderTemplate, template } from './template.ts';
import { aFile, aGroup, nothingAt, planWith, predicted, sha256 } from '../../test/unit/modules/fake-facts.ts';

function playbookDir(templates: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
  mkdirSync(join(dir, 'templates'));
  for (const [name, text] of Object.entries(templates)) writeFileSync(join(dir, 'templates', name), text);
  return dir;
}

const DEST = '/etc/app/app.conf';

describe('template', () => {
  const dir = playbookDir({
    'app.conf.hbs': 'host={{inventoryHostname}}\nport={{port}}\nname={{app.name}}\n',
    'missing.hbs': 'a={{port}}\n\nb={{nosuchvar}}\n',
    'nested.hbs': 'x={{ app.missing }}\n',
    'secret.hbs': 'user=app\npassword={{dbPassword}}\n',
    'each.hbs': '{{#each peers}}{{this}}\n{{/each}}',
    'html.hbs': 'q={{q}}\n',
  });

  it('renders host vars, task vars over them, and inventoryHostname', async () => {
    const plan = await planWith(template, { src: 'templates/app.conf.hbs', dest: DEST, vars: { port: 8443 } }, nothingAt(DEST), {
      baseDir: dir,
      host: 'relay01',
      vars: { port: 80, app: { name: 'relay' } },
    });
    const text = 'host=relay01\nport=8443\nname=relay\n';
    assert.deepEqual(plan.changes, [{ what: 'content', before: '(absent)', after: `sha256:${sha256(text)}`, text: { path: DEST, before: '', after: text } }]);
    assert.deepEqual(plan.steps, [{ kind: 'write', path: DEST, content: text }]);
  });

  it('no change when the host file already has the rendered text', async () => {
    const text = 'host=relay01\nport=80\nname=relay\n';
    const plan = await planWith(template, { src: 'templates/app.conf.hbs', dest: DEST }, aFile(DEST, text), { baseDir: dir, host: 'relay01', vars: { port: 80, app: { name: 'relay' } } });
    assert.deepEqual(plan.changes, []);
  });

  it('a missing variable is a PrepareError on src naming the template, the variable and the line', async () => {
    await assert.rejects(planWith(template, { src: 'templates/missing.hbs', dest: DEST }, {}, { baseDir: dir, vars: { port: 1 } }), (e: unknown) => {
      assert.ok(e instanceof PrepareError);
      assert.equal(e.field, 'src');
      assert.equal(e.message, "template templates/missing.hbs: variable 'nosuchvar' is not defined (line 3)");
      return true;
    });
  });

  it('a missing nested property is an error too', async () => {
    await assert.rejects(planWith(template, { src: 'templates/nested.hbs', dest: DEST }, {}, { baseDir: dir, vars: { app: {} } }), /variable 'app.missing' is not defined \(line 1\)/);
  });

  it('a block helper whose argument is missing is an error naming it (issue 16, defect 7); false and [] still render', () => {
    const vars = { flag: false, items: [] as string[] };
    for (const [src, line, name] of [['a\n{{#if flag2}}x{{/if}}', 2, 'flag2'], ['{{#each items2}}{{this}}{{/each}}', 1, 'items2'], ['{{~#unless cfg.off}}y{{/unless}}', 1, 'cfg.off'], ['{{#with o}}{{x}}{{/with}}', 1, 'o']] as const) {
      assert.throws(() => renderTemplate(src, 't.hbs', { ...vars, cfg: {} }), (e: unknown) => e instanceof PrepareError && e.message === `template t.hbs: variable '${name}' is not defined (line ${line})`);
    }
    assert.equal(renderTemplate('{{#if flag}}x{{else}}n{{/if}}{{#each items}}i{{/each}}{{#unless flag}}u{{/unless}}', 't.hbs', vars).text, 'nu');
    assert.equal(renderTemplate('{{#each list}}{{#if this.on}}{{this.name}}{{/if}}{{/each}}', 't.hbs', { list: [{ on: true, name: 'a' }, { on: false, name: 'b' }] }).text, 'a');
  });

  it('a missing template file is a PrepareError on src', async () => {
    await assert.rejects(planWith(template, { src: 'templates/none.hbs', dest: DEST }, {}, { baseDir: dir }), (e: unknown) => e instanceof PrepareError && e.field === 'src');
  });

  it('a secret variable renders its real value, and the change is sensitive with no text', async () => {
    const pw = secret('tpl-db-password-77');
    const plan = await planWith(template, { src: 'templates/secret.hbs', dest: DEST, mode: '0600' }, aFile(DEST, 'user=app\npassword=old\n'), { baseDir: dir, vars: { dbPassword: pw } });
    const content = plan.changes.find((c) => c.what === 'content')!;
    assert.equal(content.sensitive, true);
    assert.equal(content.text, undefined);
    assert.doesNotMatch(JSON.stringify(plan.changes), /tpl-db-password-77/);
    const step = plan.steps[0] as WriteStep;
    assert.ok(isSecret(step.content), 'the write carries a Secret');
    assert.equal((step.content as ReturnType<typeof secret>).reveal(), 'user=app\npassword=tpl-db-password-77\n');
    assert.doesNotMatch(script([renderWrite(step)]), /tpl-db-password-77/);
    const after = predicted(plan, fileFact(DEST))!;
    assert.equal(after.sensitive, true);
  });

  it('a secret in vars that the template does not use leaves the diff visible', async () => {
    const plan = await planWith(template, { src: 'templates/app.conf.hbs', dest: DEST }, nothingAt(DEST), { baseDir: dir, vars: { port: 1, app: { name: 'n' }, dbPassword: secret('unused-secret-1') } });
    assert.equal(plan.changes[0]!.sensitive, undefined);
    assert.ok(plan.changes[0]!.text);
  });

  it('secrets inside arrays are revealed and detected', async () => {
    const plan = await planWith(template, { src: 'templates/each.hbs', dest: DEST }, nothingAt(DEST), { baseDir: dir, vars: { peers: ['a', secret('peer-secret-2')] } });
    assert.equal(plan.changes[0]!.sensitive, true);
    assert.equal(((plan.steps[0] as WriteStep).content as ReturnType<typeof secret>).reveal(), 'a\npeer-secret-2\n');
  });

  it('does not HTML-escape', async () => {
    const plan = await planWith(template, { src: 'templates/html.hbs', dest: DEST }, nothingAt(DEST), { baseDir: dir, vars: { q: '<a & "b">' } });
    assert.equal((plan.steps[0] as WriteStep).content, 'q=<a & "b">\n');
  });

  it('attributes work as in copy: a group change alone is a chown', async () => {
    const text = 'q=1\n';
    const plan = await planWith(template, { src: 'templates/html.hbs', dest: DEST, group: 'app' }, { ...aFile(DEST, text), ...aGroup('app') }, { baseDir: dir, vars: { q: 1 } });
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: DEST, group: 'app' }]);
  });
});
