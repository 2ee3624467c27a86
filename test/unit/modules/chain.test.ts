// Tasks planned in sequence the way a dry run does it: each task sees the facts the earlier ones
// predicted. Run twice over the predicted state, the second pass must change nothing (what a real
// second run sees, if the predictions are right).
import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TObject } from '@sinclair/typebox';
import { ABSENT_FILE, fileKey } from '../../../engine/facts/file.ts';
import type { ModuleFn } from '../../../engine/module.ts';
import { secret } from '../../../engine/secret.ts';
import { command, copy, file, lineinfile, shell, template } from '../../../modules/index.ts';
import { aDir, aGroup, aUser, planWith } from './fake-facts.ts';

type Task = [string, ModuleFn<TObject>, Record<string, unknown>];

/** Plans each task against the store, unknown file facts absent (but /srv), and records predictions. Returns the names of changed tasks. */
async function pass(tasks: Task[], store: Record<string, unknown>, opts: { baseDir: string; vars: Record<string, unknown> }): Promise<string[]> {
  const changed: string[] = [];
  for (const [name, mod, params] of tasks) {
    const facts = new Proxy(store, {
      has: (t, k) => k in t || String(k).startsWith('file:'),
      // A fresh Debian host has /srv (a folder the tasks write in).
      get: (t, k) => (k in t ? t[k as string] : k === fileKey('/srv') ? aDir('/srv')[fileKey('/srv')] : String(k).startsWith('file:') ? { ...ABSENT_FILE } : undefined),
    });
    const plan = await planWith(mod, params, facts, { ...opts, host: 'relay1' });
    if (plan.changes.length > 0) changed.push(name);
    Object.assign(store, plan.after ?? {});
    for (const pattern of plan.invalidates ?? []) assert.ok(pattern === '*' || pattern.startsWith('file:'), `unexpected invalidation ${pattern}`);
  }
  return changed;
}

describe('a play planned in sequence on predicted facts', () => {
  it('the sample play: everything changes on a fresh host, nothing on the predicted state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chain-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'app.conf.hbs'), 'name = {{appName}}\nhost = {{inventoryHostname}}\ntoken = {{apiToken}}\n');
    const vars = { appName: 'sample', apiToken: secret('chain-token-1') };
    const tasks: Task[] = [
      ['app dir', file as never, { path: '/srv/app', state: 'directory', owner: 'appuser', group: 'appuser', mode: '0750' }],
      ['config file', copy as never, { dest: '/srv/app/config.txt', content: 'mode=production\nworkers=2\n', owner: 'appuser', mode: '0640' }],
      ['settings debug line', lineinfile as never, { path: '/srv/app/settings.ini', regexp: '^debug=', line: 'debug=false', create: true }],
      ['settings port line', lineinfile as never, { path: '/srv/app/settings.ini', line: 'port=8443', insertbefore: '^debug=' }],
      ['app conf', template as never, { src: 'templates/app.conf.hbs', dest: '/srv/app/app.conf', owner: 'root', group: 'appuser', mode: '0640' }],
      ['current link', file as never, { path: '/srv/app/current', state: 'link', src: '/srv/app/config.txt' }],
      ['marker', file as never, { path: '/srv/app/initialised', state: 'touch', mode: '0600', owner: 'appuser' }],
      ['config owner group', file as never, { path: '/srv/app/config.txt', group: 'appuser' }],
    ];
    // The user and group an earlier user task would have predicted.
    const store: Record<string, unknown> = { ...aUser('appuser'), ...aGroup('appuser'), ...aUser('root', true, 0) };
    const first = await pass(tasks, store, { baseDir: dir, vars });
    assert.deepEqual(first, tasks.map((t) => t[0]));
    assert.equal((store[fileKey('/srv/app/settings.ini')] as Record<string, unknown>).content, 'port=8443\ndebug=false\n', 'the second lineinfile edited what the first predicted');
    const config = store[fileKey('/srv/app/config.txt')] as Record<string, unknown>;
    assert.equal(config.mode, '0640');
    assert.equal(config.group, 'appuser');
    assert.equal(config.owner, 'appuser');
    assert.equal((store[fileKey('/srv/app/app.conf')] as Record<string, unknown>).sensitive, true);
    assert.deepEqual(await pass(tasks, store, { baseDir: dir, vars }), [], 'converged on the second pass');
  });

  it('copy then lineinfile on one file fight: the second pass shows it, as a real second run would', async () => {
    const tasks: Task[] = [
      ['config', copy as never, { dest: '/srv/c.txt', content: 'workers=2\n' }],
      ['debug line', lineinfile as never, { path: '/srv/c.txt', line: 'debug=false' }],
    ];
    const store: Record<string, unknown> = {};
    assert.deepEqual(await pass(tasks, store, { baseDir: '/', vars: {} }), ['config', 'debug line']);
    assert.equal((store[fileKey('/srv/c.txt')] as Record<string, unknown>).content, 'workers=2\ndebug=false\n');
    assert.deepEqual(await pass(tasks, store, { baseDir: '/', vars: {} }), ['config', 'debug line']);
  });

  it('command with creates: runs on a fresh host, skipped once an earlier task predicts the path', async () => {
    const tasks: Task[] = [
      ['marker', file as never, { path: '/srv/done', state: 'touch' }],
      ['once', command as never, { argv: ['/opt/init'], creates: '/srv/done' }],
      ['shell once', shell as never, { cmd: 'echo hi > /srv/other', creates: '/srv/other' }],
    ];
    assert.deepEqual(await pass(tasks, {}, { baseDir: '/', vars: {} }), ['marker', 'shell once']);
  });
});
