// The packages channel's planned part (PackagesSoFar.planned, engine/run/package-effects.ts) as
// the engine keeps it from task to task: what earlier apt tasks of a dry run leave of the packages
// (versions, what autoremove will find), for later apt tasks whose apt-get -s reads the host as it
// still is. Nothing in a real run, doubted after an apt task whose outcome is unknown, never a fact.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { PlannedPackages } from '../../engine/facts/apt-planned.ts';
import { aptListsFact, packageFact, type SimulatedPackage } from '../../engine/facts/apt.ts';
import { FactStore } from '../../engine/facts/store.ts';
import type { ModuleDef, PlanContext } from '../../engine/module.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import type { PackageEffect, Plan } from '../../engine/plan/types.ts';
import { FileMarks } from '../../engine/run/file-marks.ts';
import { NO_PACKAGES } from '../../engine/run/package-effects.ts';
import { carryForward, planTask, type Carried } from '../../engine/run/task-core.ts';
import { apt } from '../../modules/apt/apt.ts';
import { planWith } from './modules/fake-facts.ts';

const libpsl: SimulatedPackage = { name: 'libpsl5', action: 'remove', before: '0.21.2-1', after: null };
const effect = (p: Partial<PackageEffect>): Plan => ({ changes: [], steps: [], packages: { install: [], installsNew: [], touches: ['x'], update: false, ...p } });
const removesWget = effect({ versions: { wget: null }, leaves: [libpsl] });
const upgradesHello = effect({ versions: { hello: '2.10-3' } });
const noVersions = effect({ touches: ['(upgrade)'] });

/** What a plan reads of the channel after these tasks, and the doubts reading it brings. */
function readAfter(tasks: Array<{ plan: Plan; check?: boolean; doubt?: string }>): { planned: PlannedPackages; doubts: string[] } {
  const h: Carried = { facts: new FactStore(), files: new FileMarks(), packages: NO_PACKAGES };
  for (const t of tasks) carryForward(h, t.plan, t.check ?? true, t.doubt);
  assert.equal(h.facts.has('apt:planned'), false, 'never in the fact store');
  let planned: PlannedPackages | undefined;
  const probe = { name: 'probe', summary: '', params: Type.Object({}), facts: () => [], plan: (_p: unknown, ctx: PlanContext) => ((planned = ctx.packages.planned()), { changes: [], steps: [] }) } as ModuleDef<any, unknown>;
  const r = planTask({ module: probe, params: {}, prep: undefined, ctx: { host: 'h1', base: {} as never, sshPort: 22 }, stores: new Map([['h1', h.facts]]), files: h.files, packages: h.packages, check: true });
  return { planned: planned!, doubts: r.kind === 'planned' ? [...r.doubts] : [r.kind] };
}

describe('the planned packages, task after task', () => {
  const none = { versions: {}, autoremovable: [] };
  const table: Array<{ name: string; tasks: Array<{ plan: Plan; check?: boolean; doubt?: string }>; want: ReturnType<typeof readAfter> }> = [
    { name: 'no apt task: nothing planned', tasks: [], want: { planned: none, doubts: [] } },
    { name: 'dry run: a removal leaves its versions and what autoremove will find', tasks: [{ plan: removesWget }], want: { planned: { versions: { wget: null }, autoremovable: [libpsl] }, doubts: [] } },
    { name: 'merged with what later tasks leave', tasks: [{ plan: removesWget }, { plan: upgradesHello }], want: { planned: { versions: { wget: null, hello: '2.10-3' }, autoremovable: [libpsl] }, doubts: [] } },
    { name: 'real run: nothing (apt-get -s is read again after each change)', tasks: [{ plan: removesWget, check: false }], want: { planned: none, doubts: [] } },
    { name: "dry run: a task that invalidates '*' keeps it, as predictions are kept", tasks: [{ plan: removesWget }, { plan: { changes: [], steps: [], invalidates: ['*'] } }], want: { planned: { versions: { wget: null }, autoremovable: [libpsl] }, doubts: [] } },
    { name: 'dry run, the apt task unknown: what it leaves is doubted', tasks: [{ plan: removesWget, doubt: 'wget may be held' }], want: { planned: { versions: { wget: null }, autoremovable: [libpsl] }, doubts: ['wget may be held'] } },
    { name: '... and stays doubted through a task that leaves no version', tasks: [{ plan: removesWget, doubt: 'wget may be held' }, { plan: noVersions }], want: { planned: { versions: { wget: null }, autoremovable: [libpsl] }, doubts: ['wget may be held'] } },
    { name: '... a task that leaves versions, known, makes it known again', tasks: [{ plan: removesWget, doubt: 'wget may be held' }, { plan: upgradesHello }], want: { planned: { versions: { wget: null, hello: '2.10-3' }, autoremovable: [libpsl] }, doubts: [] } },
  ];
  for (const row of table) it(row.name, () => assert.deepEqual(readAfter(row.tasks), row.want));

  it('a plan that does not read it gets none of its doubt', () => {
    const h: Carried = { facts: new FactStore(), files: new FileMarks(), packages: NO_PACKAGES };
    carryForward(h, removesWget, true, 'wget may be held');
    const quiet = { name: 'quiet', summary: '', params: Type.Object({}), facts: () => [], plan: () => ({ changes: [], steps: [] }) } as ModuleDef<any, unknown>;
    const r = planTask({ module: quiet, params: {}, prep: undefined, ctx: { host: 'h1', base: {} as never, sshPort: 22 }, stores: new Map([['h1', h.facts]]), files: h.files, packages: h.packages, check: true });
    assert.deepEqual(r.kind === 'planned' ? [...r.doubts] : r, []);
  });

  it('apt returns it as its effect, no guess', async () => {
    const FRESH = predict(aptListsFact, { empty: false, age: 10, stamp: '1-1' });
    const pkg = predict(packageFact('hello'), { name: 'hello', installed: true, version: '2.10-2', candidate: '2.10-3', held: false, configFiles: false, stamp: '1-1' });
    const plan = await planWith(apt, { name: 'hello', state: 'latest' }, predictions(FRESH, pkg));
    assert.deepEqual([plan.packages?.versions, plan.packages?.leaves, plan.guesses], [{ hello: '2.10-3' }, [], undefined]);
  });
});
