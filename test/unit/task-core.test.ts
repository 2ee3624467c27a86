// The pure core of running a task (engine/run/task-core.ts), without a host: planning against the
// fact store, what a plan means in a dry and in a real run, and what it leaves for later tasks.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { fileKey } from '../../engine/facts/file.ts';
import { FactStore } from '../../engine/facts/store.ts';
import { EVERY_USER_PROCESSES, userProcessesFact } from '../../engine/facts/user.ts';
import { defineFact, onHost, withStable, type Fact } from '../../engine/facts/types.ts';
import type { BaseFacts } from '../../engine/facts/base.ts';
import type { ModuleDef, PlanContext } from '../../engine/module.ts';
import type { Plan } from '../../engine/plan/types.ts';
import { FileMarks } from '../../engine/run/file-marks.ts';
import { NO_PACKAGES } from '../../engine/run/package-effects.ts';
import { carryForward, decide, executedStatus, forgetTouched, planTask, type Carried, type PlanInput } from '../../engine/run/task-core.ts';

const fileFact = (path: string): Fact<{ exists: boolean; sum?: string; mtime?: number }> => defineFact(fileKey(path), 'true', () => ({ exists: false }));
/** The processes of a user: what a unit started or stopped changes (the systemd module invalidates them all). */
const PROCS = userProcessesFact('ops').key;
const A = fileFact('/srv/a');
const B = fileFact('/srv/b');

/** A module whose plan is `plan(facts)`: it reads what it is told to. */
function moduleOf(plan: (facts: PlanContext['facts']) => Plan): ModuleDef<any, unknown> {
  return { name: 'probe', summary: '', params: Type.Object({}), facts: () => [], plan: (_p: unknown, ctx: PlanContext) => plan(ctx.facts) } as ModuleDef<any, unknown>;
}

function input(plan: (facts: PlanContext['facts']) => Plan, store: FactStore, opts: { check?: boolean; others?: Record<string, FactStore> } = {}): PlanInput {
  const stores = new Map([['h1', store], ...Object.entries(opts.others ?? {})]);
  return { module: moduleOf(plan), params: {}, prep: undefined, ctx: { host: 'h1', base: {} as BaseFacts, sshPort: 22 }, stores, files: new FileMarks(), packages: NO_PACKAGES, check: opts.check ?? false };
}

const plan = (p: Partial<Plan> = {}): Plan => ({ changes: [], steps: [], ...p });
const step = { kind: 'run', argv: ['true'] } as unknown as Plan['steps'][number];
const change = { what: 'content', before: 'a', after: 'b' } as Plan['changes'][number];

describe('planTask', () => {
  it('a fact the module did not declare (not in the store) fails the task, naming it', () => {
    const r = planTask(input((f) => (f.get(A), plan()), new FactStore()));
    assert.deepEqual(r, { kind: 'failed', msg: 'module probe read fact file:/srv/a without declaring it' });
  });

  it("records what the plan read, by the fact's stable form, another host's under its name", () => {
    const store = new FactStore();
    store.set(A.key, { exists: true, sum: 's1', mtime: 5 });
    const other = new FactStore();
    other.set(B.key, { exists: false });
    const stableA = withStable(A, (v) => ({ exists: v.exists, sum: v.sum }));
    const r = planTask(input((f) => (f.get(stableA), f.get(onHost('h2', B)), plan()), store, { others: { h2: other } }));
    assert.equal(r.kind, 'planned');
    assert.deepEqual([...(r.kind === 'planned' ? r.read : [])], [[A.key, { exists: true, sum: 's1' }], [`h2/${B.key}`, { exists: false }]]);
  });

  const doubted = () => {
    const s = new FactStore();
    s.predict(A.key, { exists: true }, { doubt: 'nginx-light may make /srv/a' });
    return s;
  };
  const table: Array<{ name: string; store: () => FactStore; check: boolean; plan: (f: PlanContext['facts']) => Plan; want: string | RegExp; doubts?: string[] }> = [
    { name: 'a plan that throws in a real run fails', store: doubted, check: false, plan: (f) => (f.get(A), assert.fail('refused')), want: 'failed' },
    { name: 'a dry run that throws on a doubted fact is unknown, naming why', store: doubted, check: true, plan: (f) => (f.get(A), assert.fail('refused')), want: /^unknown: nginx-light may make \/srv\/a \(planned on the host as it is now: refused\)$/ },
    { name: 'a dry run that throws on known facts fails', store: () => new FactStore(), check: true, plan: () => assert.fail('refused'), want: 'failed' },
    { name: "a doubted fact read: the plan's doubts name it", store: doubted, check: true, plan: (f) => (f.get(A), plan()), want: 'planned', doubts: ['nginx-light may make /srv/a'] },
    { name: "the plan's own unknown is a doubt in a dry run", store: () => new FactStore(), check: true, plan: () => plan({ unknown: 'a unit rsyslog may ship' }), want: 'planned', doubts: ['a unit rsyslog may ship'] },
    { name: "and nothing in a real run", store: () => new FactStore(), check: false, plan: () => plan({ unknown: 'a unit rsyslog may ship' }), want: 'planned', doubts: [] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const r = planTask(input(row.plan, row.store(), { check: row.check }));
      const got = r.kind === 'unknown' ? `unknown: ${r.reason}` : r.kind;
      if (row.want instanceof RegExp) assert.match(got, row.want);
      else assert.equal(got, row.want);
      if (row.doubts) assert.deepEqual(r.kind === 'planned' ? [...r.doubts] : null, row.doubts);
    });
  }
});

describe('decide', () => {
  const table: Array<{ name: string; plan: Plan; doubts?: string[]; check: boolean; want: ReturnType<typeof decide> }> = [
    { name: 'nothing to change, nothing to run: ok', plan: plan(), check: false, want: { kind: 'ok' } },
    { name: 'steps without announced changes (a command): executed in a real run', plan: plan({ steps: [step] }), check: false, want: { kind: 'execute', announced: false } },
    { name: '... and ok in a dry run (a command reports its change only when it runs)', plan: plan({ steps: [step] }), check: true, want: { kind: 'ok' } },
    { name: 'announced changes: executed in a real run', plan: plan({ changes: [change], steps: [step] }), check: false, want: { kind: 'execute', announced: true } },
    { name: '... and would change in a dry run', plan: plan({ changes: [change], steps: [step] }), check: true, want: { kind: 'would-change' } },
    { name: 'doubts in a dry run: unknown, with the plan message after the reason', plan: plan({ changes: [change], msg: 'would write' }), doubts: ['x may ship it', 'y too'], check: true, want: { kind: 'unknown', doubt: 'x may ship it; y too', reason: 'x may ship it; y too (would write)' } },
    { name: 'doubts never reach a real run (planTask gives none there)', plan: plan(), doubts: [], check: false, want: { kind: 'ok' } },
  ];
  for (const row of table) it(row.name, () => assert.deepEqual(decide(row.plan, new Set(row.doubts ?? []), row.check), row.want));

  it('after executing: changed when announced or when a step reports a change', () => {
    assert.deepEqual([executedStatus(false, false), executedStatus(true, false), executedStatus(false, true)], ['ok', 'changed', 'changed']);
  });
});

describe('carryForward', () => {
  const NONE = NO_PACKAGES;
  /** A host's carried state around a store. */
  const host = (facts: FactStore): Carried => ({ facts, files: new FileMarks(), packages: NONE });
  const made = plan({ after: { [A.key]: { exists: true } }, guesses: { [B.key]: { exists: true } }, invalidates: [EVERY_USER_PROCESSES] });
  const start = () => {
    const s = new FactStore();
    s.set(PROCS, ['sleep']);
    s.set(B.key, { exists: false });
    return s;
  };

  it('real run: predictions kept, guesses and invalidated facts read again from the host', () => {
    const s = start();
    carryForward(host(s), made, false);
    assert.deepEqual(s.get(A.key), { exists: true });
    assert.equal(s.has(B.key), false, 'a guess is never trusted in a real run');
    assert.equal(s.has(PROCS), false);
  });

  it('dry run: guesses predicted, invalidated keys read again but unsure (the real run may find them changed)', () => {
    const s = start();
    carryForward(host(s), made, true);
    assert.deepEqual(s.get(B.key), { exists: true });
    assert.equal(s.uncertain(B.key), false, 'a guess carries no invalidation of its own');
    assert.equal(s.has(PROCS), false, 'read again from the host');
    assert.equal(s.uncertain(PROCS), true, 'a plan must not refuse on what it reads: the real run may find it changed');
  });

  it('dry run with doubt: every prediction inherits it', () => {
    const s = start();
    carryForward(host(s), made, true, 'nginx-light may make it');
    assert.equal(s.doubt(A.key), 'nginx-light may make it');
    assert.equal(s.doubt(B.key), 'nginx-light may make it');
  });

  it('package effects: what later plans get as PlanContext.packages, never facts in the store', () => {
    const s = new FactStore();
    const pkgs = plan({ packages: { install: ['nginx-light'], installsNew: ['nginx-light'], touches: ['nginx-light', 'nginx-common'], update: false } });
    const h = host(s);
    carryForward(h, pkgs, true);
    const dry = h.packages;
    assert.deepEqual(dry, { installs: ['nginx-light'], changes: ['nginx-light', 'nginx-common'], planned: NO_PACKAGES.planned });
    carryForward(h, plan(), true);
    assert.deepEqual(h.packages, dry, 'a task without packages leaves them as they are');
    carryForward(h, pkgs, false);
    assert.deepEqual(h.packages, { installs: ['nginx-light', 'nginx-light'], changes: [], planned: NO_PACKAGES.planned }, 'a real run reads the host after an install: no changes to guess');
    assert.equal(s.has('apt:installs'), false);
  });

  it('steps that failed part way: what they touch is read again', () => {
    const s = start();
    s.set(A.key, { exists: false });
    forgetTouched(host(s), made);
    assert.deepEqual([s.has(A.key), s.has(PROCS), s.has(B.key)], [false, false, true]);
  });
});
