import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PrepareError } from '../../engine/module.ts';
import { renderRun } from '../../engine/plan/render.ts';
import { secret } from '../../engine/secret.ts';
import { command, shell } from './command.ts';
import { aFile, nothingAt, planWith } from '../../test/unit/modules/fake-facts.ts';

describe('command', () => {
  it('runs argv as given, one change, every fact invalidated', async () => {
    const plan = await planWith(command, { argv: ['systemctl', 'daemon-reload'] }, {});
    assert.deepEqual(plan.changes, [{ what: 'run', after: 'systemctl daemon-reload' }]);
    assert.deepEqual(plan.steps, [{ kind: 'run', argv: ['systemctl', 'daemon-reload'] }]);
    assert.deepEqual(plan.invalidates, ['*']);
  });

  it('splits a plain cmd on whitespace', async () => {
    const plan = await planWith(command, { cmd: '  apt-get   update -q ' }, {});
    assert.deepEqual(plan.steps, [{ kind: 'run', argv: ['apt-get', 'update', '-q'] }]);
  });

  const refused = ['echo "a b"', "echo 'x'", 'echo a\\ b', 'echo $(id)', 'echo `id`', 'ls | wc', 'a; b', 'a && b', 'cat < x', 'echo > x', 'ls *.log'];
  for (const cmd of refused) {
    it(`refuses cmd with shell syntax: ${cmd}`, async () => {
      await assert.rejects(planWith(command, { cmd }, {}), (err: unknown) => err instanceof PrepareError && err.field === 'cmd' && /argv|shell module/.test(err.message));
    });
  }

  it('refuses an empty program: argv[0] empty, or a blank cmd', async () => {
    await assert.rejects(planWith(command, { argv: ['', 'x'] }, {}), (err: unknown) => err instanceof PrepareError && err.field === 'argv');
    for (const cmd of [' ', '\t \n']) await assert.rejects(planWith(command, { cmd }, {}), (err: unknown) => err instanceof PrepareError && err.field === 'cmd');
  });

  it('needs exactly one of argv and cmd', async () => {
    await assert.rejects(planWith(command, {}, {}), PrepareError);
    await assert.rejects(planWith(command, { argv: ['true'], cmd: 'true' }, {}), PrepareError);
  });

  it('creates: no change when the path exists, runs when it does not', async () => {
    const params = { argv: ['/opt/setup'], creates: '/var/lib/app/done' };
    const converged = await planWith(command, params, aFile('/var/lib/app/done', ''));
    assert.deepEqual(converged.changes, []);
    assert.deepEqual(converged.steps, []);
    assert.match(converged.msg ?? '', /since \/var\/lib\/app\/done exists/);
    const fresh = await planWith(command, params, nothingAt('/var/lib/app/done'));
    assert.equal(fresh.changes.length, 1);
    assert.equal(fresh.steps.length, 1);
  });

  it('removes: no change when the path is absent, runs when it exists', async () => {
    const params = { argv: ['rm', '/tmp/lock'], removes: '/tmp/lock' };
    assert.equal((await planWith(command, params, nothingAt('/tmp/lock'))).steps.length, 0);
    assert.equal((await planWith(command, params, aFile('/tmp/lock', ''))).steps.length, 1);
  });

  it('resolves a relative creates against chdir, and refuses it without chdir', async () => {
    const plan = await planWith(command, { argv: ['make'], chdir: '/srv/app', creates: 'build/out' }, aFile('/srv/app/build/out', 'x'));
    assert.equal(plan.steps.length, 0);
    await assert.rejects(planWith(command, { argv: ['make'], creates: 'build/out' }, {}), (e: unknown) => e instanceof PrepareError && e.field === 'creates');
  });

  it('passes chdir, env and a secret stdin to the step; the secret is not in the change', async () => {
    const token = secret('s3cr3t-command-token');
    const plan = await planWith(command, { argv: ['app', 'login'], chdir: '/srv/my app', env: { LANG: 'C' }, stdin: token }, {});
    assert.deepEqual(plan.steps, [{ kind: 'run', argv: ['app', 'login'], stdin: token, env: { LANG: 'C' }, cwd: '/srv/my app' }]);
    assert.doesNotMatch(JSON.stringify(plan.changes), /s3cr3t/);
    const rendered = renderRun(plan.steps[0] as never);
    assert.doesNotMatch(rendered.body, /s3cr3t/);
    assert.ok(rendered.body.includes("{\ncd '/srv/my app' || exit 1\nLANG=C app login\n} < \"$ss_d/in\""), rendered.body);
  });

  it('refuses a secret in argv, cmd or env (it would run as *** and show in the process list)', async () => {
    const s = secret('argv-secret');
    await assert.rejects(planWith(command, { argv: ['login', s] }, {}), (e: unknown) => e instanceof PrepareError && e.field === 'argv' && /stdin/.test(e.message));
    // A secret in a plain string field is refused by the engine's validation before the module sees it.
    await assert.rejects(planWith(command, { cmd: s }, {}), /cmd is given a secret, but this field is not secret/);
    await assert.rejects(planWith(shell, { cmd: 'x', env: { TOKEN: s } }, {}), (e: unknown) => e instanceof PrepareError && e.field === 'env');
  });

  it('quotes hostile arguments in the change text', async () => {
    const plan = await planWith(command, { argv: ['touch', "/tmp/it's $(rm -rf /)"] }, {});
    assert.equal(plan.changes[0]!.after, "touch '/tmp/it'\\''s $(rm -rf /)'");
  });
});

describe('shell', () => {
  it('passes raw shell text through, invalidating every fact', async () => {
    const plan = await planWith(shell, { cmd: 'echo "$(hostname)" > /tmp/h' }, {});
    assert.deepEqual(plan.steps, [{ kind: 'run', argv: [], shell: 'echo "$(hostname)" > /tmp/h' }]);
    assert.deepEqual(plan.changes, [{ what: 'run', after: 'echo "$(hostname)" > /tmp/h' }]);
    assert.deepEqual(plan.invalidates, ['*']);
  });

  it('skips when creates exists', async () => {
    const plan = await planWith(shell, { cmd: 'make install', creates: '/usr/local/bin/app' }, aFile('/usr/local/bin/app', ''));
    assert.deepEqual(plan.changes, []);
  });

  it('refuses a relative chdir', async () => {
    await assert.rejects(planWith(shell, { cmd: 'ls', chdir: 'srv' }, {}), (e: unknown) => e instanceof PrepareError && e.field === 'chdir');
  });
});
