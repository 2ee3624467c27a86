// Predictions are keyed by their fact's key; later ones win, as object spread did before them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABSENT_FILE, fileFact, type FileFact } from '../../engine/facts/file.ts';
import { aptListsFact, packageFact } from '../../engine/facts/apt.ts';
import { uidFact } from '../../engine/facts/user.ts';
import { predict, predictions, Predictions } from '../../engine/plan/predict.ts';

const dir: FileFact = { ...ABSENT_FILE, exists: true, type: 'directory' };

const table: { name: string; got: () => Record<string, unknown>; want: Record<string, unknown> }[] = [
  { name: 'the key is the fact key', got: () => predictions(predict(fileFact('/etc//x/'), dir)), want: { 'file:/etc/x': dir } },
  { name: 'a null value is a prediction', got: () => predictions(predict(uidFact(1001), null)), want: { 'uid:1001': null } },
  { name: 'later entries win', got: () => predictions(predict(uidFact(7), 'a'), predict(uidFact(7), 'b')), want: { 'uid:7': 'b' } },
  { name: 'undefined and false are skipped', got: () => predictions(undefined, false, predict(aptListsFact, { empty: false, age: 0, stamp: null })), want: { 'apt:lists': { empty: false, age: 0, stamp: null } } },
  { name: 'none: an empty record', got: () => predictions(), want: {} },
  {
    name: 'the builder: set, a later set wins, setDefault keeps, merge wins',
    got: () => new Predictions().set(uidFact(1), 'a').set(uidFact(1), 'b').setDefault(uidFact(1), 'c').setDefault(uidFact(2), 'd').merge({ 'uid:2': 'e' }).record(),
    want: { 'uid:1': 'b', 'uid:2': 'e' },
  },
];

for (const row of table) test(`predict: ${row.name}`, () => assert.deepEqual(row.got(), row.want));

test('predict: the builder reads back what it holds', () => {
  const p = new Predictions().set(packageFact('nginx'), { name: 'nginx', installed: true, held: false, configFiles: false, version: '1', candidate: '1', stamp: null });
  assert.equal(p.get(packageFact('nginx'))?.version, '1');
  assert.equal(p.get(packageFact('curl')), undefined);
});
