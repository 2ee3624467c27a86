// What a play reads from a host before its first task (engine/run/play-facts.ts), without a host:
// which tasks count (tags, deferred params, a task whose facts() throws), whether the base facts
// and the pending handlers are read, and what missingFacts leaves out (facts in the store already,
// other hosts' facts, the same fact asked twice).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { baseFacts } from '../../engine/facts/base.ts';
import { fileFact } from '../../engine/facts/file.ts';
import { onHost, type Fact } from '../../engine/facts/types.ts';
import type { InventoryHost } from '../../engine/inventory/types.ts';
import type { ModuleCall, ModuleDef } from '../../engine/module.ts';
import { play, task, type Play, type Task } from '../../engine/playbook/define.ts';
import { newHostState } from '../../engine/run/host-state.ts';
import { pendingHandlersFact } from '../../engine/run/pending-handlers.ts';
import { factsBeforePlay, factsFrom, missingFacts, playBecomes, selectedTasks, type PlayFactsInput } from '../../engine/run/play-facts.ts';
import { PreparedTasks } from '../../engine/run/preflight.ts';

const host: InventoryHost = { name: 'h1', address: '10.0.0.1', port: 22, user: 'deploy', become: { method: 'sudo' }, groups: ['all'], vars: {} };

/** A module whose facts are the files its params name (or that throws, for `throws: true`). */
const probe: ModuleDef<any, unknown> = {
  name: 'probe',
  summary: '',
  params: Type.Object({}),
  facts: (p: { paths: string[]; throws?: boolean }) => {
    if (p.throws) throw new Error('bad params');
    return p.paths.map((path) => fileFact(path));
  },
  plan: () => ({ changes: [], steps: [] }),
} as ModuleDef<any, unknown>;

const call = (...paths: string[]): ModuleCall => ({ module: probe, params: { paths } });
const keys = (facts: Fact[]) => facts.map((f) => f.key);

/** The play, with every task's params ready for h1 (as preflight leaves them), except those named in `deferred`. */
function env(p: Play, opts: { deferred?: number[]; tags?: string[]; skipTags?: string[] } = {}): PlayFactsInput {
  const prepared = new PreparedTasks();
  p.tasks.forEach((t, i) => prepared.set(0, i, 'h1', opts.deferred?.includes(i) ? { kind: 'deferred' } : { kind: 'ready', params: t.call.params, prep: undefined }));
  return { play: p, playIndex: 0, prepared, filter: { tags: opts.tags ?? [], skipTags: opts.skipTags ?? [] } };
}

const tasks = (...ts: Task[]) => play({ name: 'P', hosts: 'all', tasks: ts });

describe('play facts', () => {
  it('playBecomes: the play or any one task becoming root', () => {
    const cases: Array<[string, Play, boolean]> = [
      ['no become', tasks(task('a', call('/a'))), false],
      ['the play becomes', { ...tasks(task('a', call('/a'))), become: true }, true],
      ['one task becomes', tasks(task('a', call('/a')), task('b', call('/b'), { become: true })), true],
    ];
    for (const [name, p, want] of cases) assert.equal(playBecomes(p), want, name);
  });

  it('selectedTasks: tags and skip tags, with the index in the play kept', () => {
    const p = tasks(task('a', call('/a'), { tags: ['x'] }), task('b', call('/b'), { tags: ['y'] }), task('c', call('/c'), { tags: ['always'] }));
    const names = (e: PlayFactsInput) => selectedTasks(e).map(({ task: t, index }) => `${t.name}${index}`);
    assert.deepEqual(names(env(p)), ['a0', 'b1', 'c2']);
    assert.deepEqual(names(env(p, { tags: ['y'] })), ['b1', 'c2'], 'always runs with any tag');
    assert.deepEqual(names(env(p, { skipTags: ['x'] })), ['b1', 'c2']);
    assert.deepEqual(names(env(p, { tags: ['all'], skipTags: ['always'] })), ['a0', 'b1']);
  });

  it('factsFrom: the selected, ready tasks from an index on; deferred params and a throwing facts() are left to the task', () => {
    const p = tasks(
      task('a', call('/a')),
      task('b', call('/b'), { tags: ['skipped'] }),
      task('c', call('/c')),
      task('d', { module: probe, params: { paths: [], throws: true } }),
      task('e', call('/e1', '/e2')),
    );
    assert.deepEqual(keys(factsFrom(env(p, { skipTags: ['skipped'] }), 'h1', 0)), [fileFact('/a').key, fileFact('/c').key, fileFact('/e1').key, fileFact('/e2').key]);
    assert.deepEqual(keys(factsFrom(env(p), 'h1', 2)), [fileFact('/c').key, fileFact('/e1').key, fileFact('/e2').key], 'from task 2 on');
    assert.deepEqual(keys(factsFrom(env(p, { deferred: [0, 4] }), 'h1', 0)), [fileFact('/b').key, fileFact('/c').key], 'deferred params are read when the task runs');
    assert.deepEqual(factsFrom(env(p), 'h2', 0), [], 'nothing prepared for another host');
  });

  it('factsBeforePlay: base facts unless held, the tasks, and the pending handlers only for a play that becomes root and has not read them', () => {
    const p = tasks(task('a', call('/a')));
    const state = newHostState(host);
    assert.deepEqual(keys(factsBeforePlay(env(p), state)), [baseFacts.key, fileFact('/a').key]);
    const root = { ...p, become: true };
    assert.deepEqual(keys(factsBeforePlay(env(root), state)), [baseFacts.key, fileFact('/a').key, pendingHandlersFact.key]);
    state.facts.set(baseFacts.key, {});
    state.pending = { handlers: [] } as never;
    assert.deepEqual(keys(factsBeforePlay(env(root), state)), [fileFact('/a').key], 'base facts and pending handlers already read');
  });

  it("missingFacts: not in the store, this host's only, each once in first-asked order", () => {
    const state = newHostState(host);
    state.facts.set(fileFact('/held').key, { exists: false });
    const asked = [fileFact('/b'), fileFact('/held'), onHost('h2', fileFact('/other')), onHost('h1', fileFact('/mine')), fileFact('/a'), fileFact('/b')];
    assert.deepEqual(keys(missingFacts(asked, state)), [fileFact('/b').key, onHost('h1', fileFact('/mine')).key, fileFact('/a').key]);
    assert.deepEqual(missingFacts([], state), []);
  });
});
