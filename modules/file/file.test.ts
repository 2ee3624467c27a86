import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PrepareError } from '../../engine/module.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { fileFact, fileKey, keysUnder } from '../../engine/facts/file.ts';
import { userFact } from '../../engine/facts/user.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { renderPathStep } from '../../engine/plan/render.ts';
import { file } from './file.ts';
import { aDir, aFile, aGroup, aLink, aUser, nothingAt, planWith, predicted } from '../../test/unit/modules/fake-facts.ts';

describe('file: directory', () => {
  it('creates a missing directory, then owner and mode; predicts it', async () => {
    const plan = await planWith(file, { path: '/srv/app', state: 'directory', owner: 'app', group: 'app', mode: '750' }, { ...nothingAt('/srv/app'), ...aUser('app'), ...aGroup('app') });
    assert.deepEqual(plan.changes, [
      { what: 'state', before: 'absent', after: 'directory' },
      { what: 'owner', before: null, after: 'app' },
      { what: 'group', before: null, after: 'app' },
      { what: 'mode', before: null, after: '0750' },
    ]);
    assert.deepEqual(plan.steps, [{ kind: 'mkdir', path: '/srv/app', mode: '0750', owner: 'app', group: 'app' }]);
    assert.deepEqual(predicted(plan, fileFact('/srv/app')), {
      exists: true, type: 'directory', mode: '0750', owner: 'app', group: 'app', size: null, sha256: null, linkTarget: null,
    });
  });

  it('no change when converged', async () => {
    const plan = await planWith(file, { path: '/srv/app', state: 'directory', owner: 'app', mode: '0750' }, { ...aDir('/srv/app', { owner: 'app', mode: '0750' }), ...aUser('app') });
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.steps, []);
  });

  it('an unset mode of a new directory is what mkdir makes (umask 022), its owner whoever writes it (unknown without a writer)', async () => {
    const plan = await planWith(file, { path: '/srv/x', state: 'directory' }, nothingAt('/srv/x'));
    const after = predicted(plan, fileFact('/srv/x'))!;
    assert.equal(after.mode, '0755');
    assert.equal(after.owner, null);
    assert.equal(after.group, null);
  });

  it('a new directory under a setgid folder gets its bit and its group; its missing parents are predicted too (issue 16, defects 4 and 11)', async () => {
    const facts = { ...nothingAt('/srv/p/q/r'), ...nothingAt('/srv/p/q'), ...nothingAt('/srv/p'), ...aDir('/srv', { mode: '2775', group: 'staff' }) };
    const plan = await planWith(file, { path: '/srv/p/q/r', state: 'directory' }, facts, { writer: { user: 'root', group: 'root' } });
    for (const d of ['/srv/p/q/r', '/srv/p/q', '/srv/p']) {
      const f = predicted(plan, fileFact(d))!;
      assert.deepEqual([f.type, f.mode, f.owner, f.group], ['directory', '2755', 'root', 'staff'], d);
    }
    const given = await planWith(file, { path: '/srv/p', state: 'directory', mode: '0755' }, { ...nothingAt('/srv/p'), ...aDir('/srv', { mode: '2775', group: 'staff' }) }, { writer: { user: 'root', group: 'root' } });
    assert.equal(predicted(given, fileFact('/srv/p'))!.mode, '0755', 'a given mode clears the inherited bit (chmod 00755)');
  });

  it('touch or a link in a folder that does not exist is refused in the plan (issue 16, defect 6)', async () => {
    await assert.rejects(planWith(file, { path: '/srv/none/f', state: 'touch' }, { ...nothingAt('/srv/none/f'), ...nothingAt('/srv/none') }), /the folder \/srv\/none does not exist \(and no earlier task creates it\)/);
    await assert.rejects(planWith(file, { path: '/srv/none/l', state: 'link', src: '/etc/hostname', force: true }, { ...nothingAt('/srv/none/l'), ...nothingAt('/srv/none'), ...aFile('/etc/hostname', 'h\n') }), /the folder \/srv\/none does not exist/);
  });

  it('only the differing attribute changes: owner alone is chown OWNER, group alone chown :GROUP', async () => {
    const plan = await planWith(file, { path: '/srv/app', state: 'directory', owner: 'app', group: 'root' }, { ...aDir('/srv/app'), ...aUser('app'), ...aGroup('root', true, 0) });
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: '/srv/app', owner: 'app' }]);
    const g = await planWith(file, { path: '/srv/app', state: 'directory', group: 'adm' }, { ...aDir('/srv/app'), ...aGroup('adm') });
    assert.deepEqual(g.steps, [{ kind: 'attrs', path: '/srv/app', group: 'adm' }]);
  });

  it('an owner or group that does not exist is a PlanError naming it', async () => {
    await assert.rejects(
      planWith(file, { path: '/srv/app', state: 'directory', owner: 'ghost' }, { ...nothingAt('/srv/app'), ...aUser('ghost', false) }),
      (e: unknown) => e instanceof PlanError && /owner 'ghost' does not exist/.test(e.message),
    );
    await assert.rejects(
      planWith(file, { path: '/srv/app', state: 'directory', group: 'nogroup2' }, { ...nothingAt('/srv/app'), ...aGroup('nogroup2', false) }),
      (e: unknown) => e instanceof PlanError && /group 'nogroup2'/.test(e.message),
    );
  });

  it('a numeric owner compares by the name it resolves to', async () => {
    const facts = { ...aDir('/srv/app', { owner: 'app' }), ...predictions(predict(userFact('1000'), { exists: true, name: 'app', uid: 1000, gid: 1000, home: '/home/app', shell: '/bin/sh' })) };
    const plan = await planWith(file, { path: '/srv/app', state: 'directory', owner: '1000' }, facts);
    assert.deepEqual(plan.changes, []);
  });

  it('refuses a file where a directory is wanted', async () => {
    await assert.rejects(planWith(file, { path: '/srv/app', state: 'directory' }, aFile('/srv/app', 'x')), /not a directory/);
  });

  it('quotes hostile paths when rendered', async () => {
    const path = "/tmp/a b/it's $(reboot)";
    const plan = await planWith(file, { path, state: 'directory' }, nothingAt(path));
    assert.deepEqual(plan.steps, [{ kind: 'mkdir', path }]);
    assert.ok(renderPathStep(plan.steps[0] as never).body.includes(`ss_mkcd '/tmp/a b/it'\\''s $(reboot)'`));
  });
});

describe('file: file and touch', () => {
  it('state file on a missing path is an error, as in Ansible', async () => {
    await assert.rejects(planWith(file, { path: '/etc/x.conf', state: 'file', mode: '0600' }, nothingAt('/etc/x.conf')), (e: unknown) => e instanceof PlanError && /does not exist/.test(e.message));
  });

  it('no state: the attributes of an existing directory; a missing path is an error', async () => {
    const plan = await planWith(file, { path: '/etc/ssl/private', mode: '0710' }, aDir('/etc/ssl/private', { mode: '0700' }));
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: '/etc/ssl/private', mode: '0710' }]);
    assert.equal(predicted(plan, fileFact('/etc/ssl/private'))!.type, 'directory');
    await assert.rejects(planWith(file, { path: '/nope', mode: '0710' }, nothingAt('/nope')), (e: unknown) => e instanceof PlanError && /without a state/.test(e.message));
  });

  it('fileKey: spellings of one path share a key', () => {
    assert.equal(fileKey('/srv/app/'), 'file:/srv/app');
    assert.equal(fileKey('/srv//x/../app'), 'file:/srv/app');
    assert.equal(fileKey('/'), 'file:/');
  });

  it('keysUnder: the pattern of every path under a folder, not the folder itself', () => {
    assert.equal(keysUnder('/srv/app/'), 'file:/srv/app/*');
    assert.equal(keysUnder('/'), 'file:/*');
  });

  it('state file (no state given) changes the mode of an existing file and keeps its content in the prediction', async () => {
    const plan = await planWith(file, { path: '/etc/x.conf', mode: '0600' }, aFile('/etc/x.conf', 'a=1\n'));
    assert.deepEqual(plan.changes, [{ what: 'mode', before: '0644', after: '0600' }]);
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: '/etc/x.conf', mode: '0600' }]);
    const after = predicted(plan, fileFact('/etc/x.conf'))!;
    assert.equal(after.mode, '0600');
    assert.equal(after.content, 'a=1\n');
  });

  it('touch creates an empty file when missing and leaves an existing one alone', async () => {
    const fresh = await planWith(file, { path: '/var/log/app.log', state: 'touch' }, nothingAt('/var/log/app.log'));
    assert.deepEqual(fresh.steps, [{ kind: 'write', path: '/var/log/app.log', content: '', createOnly: true }]);
    assert.equal(predicted(fresh, fileFact('/var/log/app.log'))!.content, '');
    const again = await planWith(file, { path: '/var/log/app.log', state: 'touch' }, aFile('/var/log/app.log', 'log'));
    assert.deepEqual(again.changes, []);
  });
});

describe('file: absent', () => {
  it('removes recursively, predicts absence, invalidates what was inside', async () => {
    const plan = await planWith(file, { path: '/srv/old', state: 'absent' }, aDir('/srv/old'));
    assert.deepEqual(plan.steps, [{ kind: 'remove', path: '/srv/old' }]);
    assert.equal(predicted(plan, fileFact('/srv/old'))!.exists, false);
    assert.deepEqual(plan.invalidates, [keysUnder('/srv/old')]);
  });

  it('no change when already absent', async () => {
    assert.deepEqual((await planWith(file, { path: '/srv/old', state: 'absent' }, nothingAt('/srv/old'))).changes, []);
  });

  it('refuses attributes with absent', async () => {
    await assert.rejects(planWith(file, { path: '/srv/old', state: 'absent', mode: '0644' }, {}), PrepareError);
  });
});

describe('file: link', () => {
  it('creates a link to an existing target', async () => {
    const plan = await planWith(file, { path: '/etc/nginx/sites-enabled/app', state: 'link', src: '../sites-available/app' }, {
      ...nothingAt('/etc/nginx/sites-enabled/app'),
      ...aFile('/etc/nginx/sites-available/app', 'server {}'),
    });
    assert.deepEqual(plan.changes, [{ what: 'state', before: 'absent', after: 'link' }]);
    assert.deepEqual(plan.steps, [{ kind: 'symlink', path: '/etc/nginx/sites-enabled/app', target: '../sites-available/app' }]);
    assert.equal(predicted(plan, fileFact('/etc/nginx/sites-enabled/app'))!.linkTarget, '../sites-available/app');
  });

  it('no change when the link points there; a retarget is one change', async () => {
    const facts = { ...aFile('/srv/b', 'x'), ...aFile('/srv/c', 'y') };
    assert.deepEqual((await planWith(file, { path: '/srv/a', state: 'link', src: '/srv/b' }, { ...facts, ...aLink('/srv/a', '/srv/b') })).changes, []);
    const re = await planWith(file, { path: '/srv/a', state: 'link', src: '/srv/c' }, { ...facts, ...aLink('/srv/a', '/srv/b') });
    assert.deepEqual(re.changes, [{ what: 'link target', before: '/srv/b', after: '/srv/c' }]);
  });

  it('a missing target needs force; a regular file in the way needs force; a directory is refused', async () => {
    await assert.rejects(planWith(file, { path: '/srv/a', state: 'link', src: '/srv/none' }, { ...nothingAt('/srv/a'), ...nothingAt('/srv/none') }), /force/);
    const forced = await planWith(file, { path: '/srv/a', state: 'link', src: '/srv/none', force: true }, { ...nothingAt('/srv/a'), ...nothingAt('/srv/none') });
    assert.equal(forced.steps.length, 1);
    await assert.rejects(planWith(file, { path: '/srv/a', state: 'link', src: '/srv/b' }, { ...aFile('/srv/a', 'x'), ...aFile('/srv/b', 'y') }), /force/);
    await assert.rejects(planWith(file, { path: '/srv/a', state: 'link', src: '/srv/b', force: true }, { ...aDir('/srv/a'), ...aFile('/srv/b', 'y') }), /is a directory/);
  });

  it('owner of a link uses chown -h', async () => {
    const plan = await planWith(file, { path: '/srv/a', state: 'link', src: '/srv/b', owner: 'app' }, { ...aLink('/srv/a', '/srv/b'), ...aFile('/srv/b', ''), ...aUser('app') });
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: '/srv/a', owner: 'app', link: true }]);
  });

  it('needs src, and refuses a mode', async () => {
    await assert.rejects(planWith(file, { path: '/srv/a', state: 'link' }, {}), (e: unknown) => e instanceof PrepareError && e.field === 'src');
    await assert.rejects(planWith(file, { path: '/srv/a', state: 'link', src: '/b', mode: '0644' }, {}), (e: unknown) => e instanceof PrepareError && e.field === 'mode');
  });
});
