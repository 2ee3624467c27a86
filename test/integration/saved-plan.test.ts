// Saved plans on lab hosts: `engine plan -o` on fresh hosts, applied, gives exactly the planned
// changes, task for task; a plan applied after a host was changed by hand refuses that host,
// naming the fact, and applies the others; the file holds no secret; --refresh plans again.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine, type CliResult } from './engine-cli.ts';
import { ensureLab, freshHosts } from './lab-fixture.ts';
import { labPaths, sshRun } from '../lab/index.ts';

const HOSTS = ['node7', 'node8'];
const PB = 'test/fixtures/playbooks/saved-plan.ts';
const TOKEN = `plan-token-${randomBytes(8).toString('hex')}`;
const env = { PLAN_TOKEN: TOKEN };
const results = (r: CliResult) => r.events.filter((e) => e.type === 'task.result').map((e) => `${e.host} ${e.task}: ${e.status} ${JSON.stringify(e.changes)}`).sort();

describe('saved plans on lab hosts', { timeout: 600_000 }, () => {
  let dir: string;
  before(async () => {
    await ensureLab();
    await freshHosts(...HOSTS);
    dir = mkdtempSync(join(tmpdir(), 'ss-plan-'));
  });

  test('a plan made on fresh hosts, shown, applied: exactly the planned changes; the file holds no secret', async () => {
    const file = join(dir, 'fresh.json');
    const plan = await engine(['plan', PB, '-i', labPaths.inventory, '--limit', HOSTS.join(','), '-o', file, '--json'], { env });
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(TOKEN), 'no secret in the plan file');
    const show = await engine(['show', file]);
    assert.equal(show.code, 0);
    assert.match(show.stdout, /node7: 6 of 6 tasks change something/);
    assert.match(show.stdout, /token \(play 'saved plan'\)\n {4}content \(sensitive\)/);
    const apply = await engine(['apply', file, '--json'], { env });
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.deepEqual(results(apply).map((r) => r.replace(/"check":(true|false)/, '')), results(plan), 'the apply changed exactly what the plan said, task for task');
    assert.equal((await sshRun('node7', 'cat /srv/planapp/token', { user: 'root' })).stdout, TOKEN, 'the secret, resolved again at apply time, is on the host');
  });

  test('a host changed by hand after the plan was made is refused, naming the fact; the others are applied', async () => {
    const file = join(dir, 'motd.json');
    const plan = await engine(['plan', PB, '-i', labPaths.inventory, '--limit', HOSTS.join(','), '-o', file, '-e', 'motd=planned', '--json'], { env });
    assert.equal(plan.code, 0, plan.stderr);
    await sshRun('node7', 'echo edited by hand > /srv/planapp/motd', { user: 'root', check: true });
    const apply = await engine(['apply', file, '--json'], { env });
    assert.equal(apply.code, 3, apply.stdout + apply.stderr);
    const refused = apply.events.find((e) => e.type === 'task.result' && e.host === 'node7' && e.status === 'failed')!;
    assert.equal(refused.task, 'motd');
    assert.match(refused.msg, /^refused: node7 changed since the plan was made: file:\/srv\/planapp\/motd is not what task 'motd' was planned from; make the plan again, or apply with --refresh$/);
    assert.equal((await sshRun('node7', 'cat /srv/planapp/motd', { user: 'root' })).stdout, 'edited by hand\n', 'node7 untouched');
    assert.equal((await sshRun('node8', 'cat /srv/planapp/motd', { user: 'root' })).stdout, 'planned\n', 'node8 applied');
    const refresh = await engine(['apply', file, '--refresh', '--json'], { env });
    assert.equal(refresh.code, 0, refresh.stderr);
    assert.equal((await sshRun('node7', 'cat /srv/planapp/motd', { user: 'root' })).stdout, 'planned\n', '--refresh planned again and applied');
  });

  test('a plan file of another version, or not a plan, is refused before any host', async () => {
    const file = join(dir, 'v9.json');
    writeFileSync(file, JSON.stringify({ format: 'shipshape-plan', version: 9, hosts: {} }));
    const r = await engine(['apply', file]);
    assert.equal(r.code, 5, 'bad input');
    assert.match(r.stderr, /a plan file of version 9; this engine reads version 2 only/);
  });
});
