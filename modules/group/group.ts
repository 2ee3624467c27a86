// group: a local group (groupadd/groupmod/groupdel), predicted for later tasks like users are.
import { gidFact, groupFact, type GroupFact } from '../../engine/facts/user.ts';
import { defineModule } from '../../engine/module.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { Choice, GroupName, Type } from '../../engine/schema.ts';

const params = Type.Object(
  {
    name: GroupName({ description: 'group name' }),
    state: Type.Optional(Choice(['present', 'absent'], { default: 'present' })),
    gid: Type.Optional(Type.Integer({ minimum: 0 })),
    system: Type.Optional(Type.Boolean({ description: 'create a system group; only used when creating' })),
  },
  { additionalProperties: false },
);

export const group = defineModule({
  name: 'group',
  summary: 'Create, change or remove a local group',
  doc: "group({ name: 'relay', system: true })",
  params,
  // The gid's holder too: groupadd/groupmod refuse a gid another group has; the dry run says so as the real run will.
  facts: (p) => [groupFact(p.name), ...(p.gid !== undefined && p.state !== 'absent' ? [gidFact(p.gid)] : [])],
  plan(p, { facts }) {
    const current = facts.get(groupFact(p.name));
    if (p.gid !== undefined && p.state !== 'absent' && current.gid !== p.gid) {
      const holder = facts.get(gidFact(p.gid));
      if (holder !== null && holder !== p.name) {
        throw new PlanError(`gid ${p.gid} is already used by the group '${holder}': ${current.exists ? 'groupmod' : 'groupadd'} would refuse; choose another gid, or renumber or remove '${holder}' in an earlier task`);
      }
    }
    const absent: GroupFact = { exists: false, name: p.name, gid: null, members: [] };
    if (p.state === 'absent') {
      if (!current.exists) return { changes: [], steps: [] };
      return { changes: [{ what: 'group', before: 'present', after: 'absent' }], steps: [{ kind: 'run', argv: ['groupdel', '--', p.name] }], after: predictions(predict(groupFact(p.name), absent), current.gid !== null && predict(gidFact(current.gid), null)) };
    }
    if (!current.exists) {
      const argv = ['groupadd', ...(p.system ? ['--system'] : []), ...(p.gid !== undefined ? ['--gid', String(p.gid)] : []), '--', p.name];
      return {
        changes: [{ what: 'group', before: 'absent', after: p.gid !== undefined ? `present, gid ${p.gid}` : 'present' }],
        steps: [{ kind: 'run', argv }],
        after: predictions(predict(groupFact(p.name), { exists: true, name: p.name, gid: p.gid ?? null, members: [] }), p.gid !== undefined && predict(gidFact(p.gid), p.name)),
      };
    }
    if (p.gid !== undefined && current.gid !== p.gid) {
      return {
        changes: [{ what: 'gid', before: current.gid, after: p.gid }],
        steps: [{ kind: 'run', argv: ['groupmod', '--gid', String(p.gid), '--', p.name] }],
        after: predictions(predict(groupFact(p.name), { ...current, gid: p.gid }), predict(gidFact(p.gid), p.name), current.gid !== null && predict(gidFact(current.gid), null)),
      };
    }
    return { changes: [], steps: [] };
  },
});
