// group planning without a host: groupadd, groupmod and groupdel, the name after -- always.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateParams } from '../../engine/playbook/validate.ts';
import { gidFact } from '../../engine/facts/user.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import type { RunStep } from '../../engine/plan/types.ts';
import { group } from './group.ts';
import { aGroup, planWith } from '../../test/unit/modules/fake-facts.ts';

const argv = (plan: { steps: unknown[] }) => plan.steps.map((s) => (s as RunStep).argv);

describe('group', () => {
  it('creates, changes the gid of, and removes a group, the name after --', async () => {
    assert.deepEqual(argv(await planWith(group, { name: 'relay', system: true, gid: 990 }, { ...aGroup('relay', false), ...predictions(predict(gidFact(990), null)) })), [['groupadd', '--system', '--gid', '990', '--', 'relay']]);
    assert.deepEqual(argv(await planWith(group, { name: 'relay', gid: 991 }, { ...aGroup('relay', true, 990), ...predictions(predict(gidFact(991), null)) })), [['groupmod', '--gid', '991', '--', 'relay']]);
    assert.deepEqual(argv(await planWith(group, { name: 'relay', state: 'absent' }, aGroup('relay'))), [['groupdel', '--', 'relay']]);
    assert.deepEqual(argv(await planWith(group, { name: 'relay', gid: 990 }, { ...aGroup('relay', true, 990), ...predictions(predict(gidFact(990), 'relay')) })), []);
  });

  it('a name starting with a dash, or holding blanks or quotes, is refused', () => {
    for (const name of ['-sfiles', '--help', 'a b', "a'b", '']) assert.ok(validateParams(group.def.params, { name }).errors.length > 0, name);
  });
});

describe('group: a gid another group has (issue 16, defect 8 for groups)', () => {
  it('is refused for a new group and for a renumbering, naming the holder', async () => {
    await assert.rejects(planWith(group, { name: 'relay', gid: 990 }, { ...aGroup('relay', false), ...predictions(predict(gidFact(990), 'other')) }), /^PlanError: gid 990 is already used by the group 'other': groupadd would refuse/);
    await assert.rejects(planWith(group, { name: 'relay', gid: 991 }, { ...aGroup('relay', true, 990), ...predictions(predict(gidFact(991), 'other')) }), /groupmod would refuse/);
  });
});
