// Preflight catches every mistake of a playbook at once, naming file, play, task and field, and
// needs no host: these run without any connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { Type } from '../../engine/schema.ts';
import { play, playbook, task } from '../../engine/playbook/define.ts';
import { preflight } from '../../engine/run/preflight.ts';
import { InputError } from '../../engine/errors.ts';
import type { Inventory, InventoryHost } from '../../engine/inventory/types.ts';

const demo = defineModule({
  name: 'demo',
  summary: 'a module for tests',
  params: Type.Object({ path: Type.String(), mode: Type.Optional(Type.String({ pattern: '^0?[0-7]{3,4}$' })), count: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
  prepare(p) {
    if (p.path.includes('{{missing}}')) throw new PrepareError(`template ${p.path}: variable 'missing' is not defined`, 'src');
  },
  facts: () => [],
  plan: () => ({ changes: [], steps: [] }),
});

const host = (name: string): InventoryHost => ({ name, address: name, port: 22, user: 'u', become: { method: 'sudo' }, groups: ['all'], vars: { dir: '/srv' } });
const inventory: Inventory = { file: 'inv.yml', hosts: [host('a'), host('b')], groups: new Map() };

async function problemsOf(pb: ReturnType<typeof playbook>): Promise<string[]> {
  try {
    await preflight({ file: 'pb.ts', baseDir: '.', playbook: pb, inventory, hostsOf: () => inventory.hosts, extraVars: {}, filter: {} });
    return [];
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err.message.split('\n').slice(1).map((l) => l.trim());
  }
}

test('three mistakes in one playbook are reported together, each with its place', async () => {
  const pb = playbook(
    play({
      name: 'P',
      hosts: 'all',
      tasks: [
        // @ts-expect-error an unknown param is a TypeScript error too
        task('unknown param', demo({ path: '/x', colour: 'red' })),
        // @ts-expect-error a wrong type is a TypeScript error too
        task('wrong type', demo({ path: '/y', count: 'three' })),
        task('missing var', demo({ path: '/{{missing}}' })),
      ],
    }),
  );
  const problems = await problemsOf(pb);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0], /pb\.ts: play 'P' > task 'unknown param': field 'colour': is not a known parameter/);
  assert.match(problems[1], /pb\.ts: play 'P' > task 'wrong type': field 'count': must be integer/);
  assert.match(problems[2], /pb\.ts: play 'P' > task 'missing var': field 'src': template .*'missing'.*\(hosts a, b\)/);
});

test('param functions are resolved per host and their result validated', async () => {
  const pb = playbook(play({ name: 'P', hosts: 'all', tasks: [task('fn', demo({ path: (c) => `${c.vars.dir}/x`, mode: (c) => (c.host === 'b' ? 'rwx' : '0644') }))] }));
  const problems = await problemsOf(pb);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /field 'mode': must match pattern .*\(host b\)/);
});

test('a param function that needs facts waits for the host instead of failing', async () => {
  const pb = playbook(play({ name: 'P', hosts: 'all', tasks: [task('fn', demo({ path: (c) => `/x-${c.facts.os.id}` }))] }));
  assert.deepEqual(await problemsOf(pb), []);
});

test('notify must name a handler of the play', async () => {
  const pb = playbook(play({ name: 'P', hosts: 'all', tasks: [task('t', demo({ path: '/x' }), { notify: 'restart nothing' })] }));
  const problems = await problemsOf(pb);
  assert.match(problems[0], /field 'notify': no handler named 'restart nothing'/);
});

test("a task its `when` rules out for a host is not validated for that host", async () => {
  const pb = playbook(play({ name: 'P', hosts: 'all', tasks: [task('only on a', demo({ path: '/x', mode: (c) => (c.host === 'b' ? 'not-a-mode' : '0644') }), { when: (c) => c.host === 'a' })] }));
  assert.deepEqual(await problemsOf(pb), []);
  const broken = playbook(play({ name: 'P', hosts: 'all', tasks: [task('on both', demo({ path: '/x', mode: (c) => (c.host === 'b' ? 'not-a-mode' : '0644') }), { when: () => true })] }));
  assert.equal((await problemsOf(broken)).length, 1);
});
