// The saved-plan session without a host: recorded entries, then the apply's verdicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileFact, keysUnder } from '../../engine/facts/file.ts';
import type { Plan } from '../../engine/plan/types.ts';
import { PLAN_FORMAT, PLAN_VERSION, parsePlanFile, stepData, type PlanFile } from '../../engine/saved-plan/format.ts';
import { SavedPlanSession } from '../../engine/saved-plan/session.ts';
import { secret } from '../../engine/secret.ts';

const emptyFile = (): PlanFile => ({ format: PLAN_FORMAT, version: PLAN_VERSION, created: '', playbook: '/p.ts', inventory: '/i.yml', extraVars: {}, hosts: {} });
const write: Plan = { changes: [{ what: 'content', before: '(absent)', after: 'sha256:x' }], steps: [{ kind: 'write', path: '/etc/x', content: 'x\n' }] };
/** Fact keys the tasks read (the values are opaque to the session: only compared). */
const X = fileFact('/etc/x').key;
const OUT = fileFact('/srv/out').key;
const now = (plan: Plan, read: Record<string, unknown>, id = '0:0') => ({ id, play: 'P', task: 'T', handler: false, plan, read: new Map(Object.entries(read)) });

test('apply: the same facts and steps pass; another fact value, other steps, or an unknown task are refused, naming what', () => {
  const file = emptyFile();
  const rec = new SavedPlanSession({ kind: 'record', file });
  rec.planned('h', now(write, { [X]: { exists: false } }));
  const saved = JSON.parse(JSON.stringify(file)) as PlanFile;
  const apply = () => new SavedPlanSession({ kind: 'apply', file: saved });
  assert.deepEqual(apply().planned('h', now(write, { [X]: { exists: false } })), {});
  assert.match(apply().planned('h', now(write, { [X]: { exists: true } })).refuse!, /^refused: h changed since the plan was made: file:\/etc\/x is not what task 'T' was planned from/);
  const other: Plan = { ...write, steps: [{ kind: 'write', path: '/etc/x', content: 'y\n' }] };
  assert.match(apply().planned('h', now(other, { [X]: { exists: false } })).refuse!, /would now do something else than the saved plan/);
  assert.match(apply().planned('h', now(write, {}, '0:9')).refuse!, /the saved plan has no task 'T' for h/);
  assert.match(apply().planned('other', now(write, {})).refuse!, /has no task 'T' for other/);
});

test('a task planned from what an earlier task changes unknowably is re-planned, said to be', () => {
  const file = emptyFile();
  const rec = new SavedPlanSession({ kind: 'record', file });
  rec.markUncertain('h', { changes: [{ what: 'run' }], steps: [{ kind: 'run', argv: ['make'] }], invalidates: [keysUnder('/srv')] });
  rec.planned('h', now(write, { [OUT]: { exists: false } }, '0:1'));
  assert.deepEqual(file.hosts.h![0]!.uncertain, [OUT]);
  const v = new SavedPlanSession({ kind: 'apply', file }).planned('h', now(write, { [OUT]: { exists: true } }, '0:1'));
  assert.equal(v.refuse, undefined);
  assert.match(v.note!, /re-planned: it read file:\/srv\/out, which an earlier task changes/);
});

test('steps as data: secrets and their digests stay out, buffers go as base64, the rest as it is', () => {
  const s = stepData({ kind: 'write', path: '/etc/t', content: secret('plan-secret-9'), replaces: 'abc' }) as Record<string, unknown>;
  assert.deepEqual(s, { kind: 'write', path: '/etc/t', content: { secret: true } });
  assert.deepEqual(stepData({ kind: 'write', path: '/b', content: Buffer.from([1, 2]) }), { kind: 'write', path: '/b', content: { base64: 'AQI=' } });
  assert.deepEqual(stepData({ kind: 'run', argv: ['x'], reportsChange: { stamp: 'dpkg' } }), { kind: 'run', argv: ['x'], reportsChange: { stamp: 'dpkg' } });
  assert.doesNotMatch(JSON.stringify(stepData({ kind: 'run', argv: ['chpasswd'], stdin: secret('plan-secret-9') })), /plan-secret-9/);
});

test('a file of another version, or not a plan, is refused', () => {
  assert.throws(() => parsePlanFile('{"format":"shipshape-plan","version":3}', 'p.json'), /p.json: a plan file of version 3; this engine reads version 2 only/);
  assert.throws(() => parsePlanFile('{"format":"shipshape-plan","version":1}', 'p.json'), /p.json: a plan file of version 1; this engine reads version 2 only: make the plan again/, 'a plan made before effects were a channel of their own');
  assert.throws(() => parsePlanFile('nope', 'p.json'), /p.json: not a plan file/);
  assert.throws(() => parsePlanFile('{}', 'p.json'), /not a shipshape plan file/);
});
