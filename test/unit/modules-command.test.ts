// `engine modules NAME` is generated from the params schema: nested fields (an object's, an array of
// objects' items') are listed under their parent, so the reference covers every field validation knows.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { moduleList, moduleReference } from '../../engine/cli/modules-command.ts';
import type { ModuleDef } from '../../engine/module.ts';
import * as modules from '../../modules/index.ts';

// As `engine modules` reads them: every export's def.
const allModules = Object.values(modules).map((m) => (m as { def: ModuleDef }).def);
const def = (name: string) => allModules.find((m) => m.name === name)!;

test('ufw: the default policy object and each rule field are listed with their own types and docs', () => {
  const text = moduleReference(def('ufw'));
  assert.match(text, /^ {2}default \(optional, object\)$/m);
  assert.match(text, /^ {2}default\.incoming \(optional, "allow" \| "deny" \| "reject"\)$/m);
  assert.match(text, /^ {2}rules \(optional, object\[\]\)$/m);
  assert.match(text, /^ {2}rules\[\]\.rule \(required, "allow" \| "deny" \| "limit" \| "reject"\)\n {6}What the rule does/m);
  assert.match(text, /^ {2}rules\[\]\.delete \(optional, boolean\)$/m);
});

test('every module: each top-level param appears once, in a list naming every module', () => {
  const list = moduleList(allModules);
  for (const m of allModules) {
    assert.match(list, new RegExp(`^${m.name} +${m.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    const text = moduleReference(m);
    for (const name of Object.keys(m.params.properties)) assert.equal(text.split('\n').filter((l) => l.startsWith(`  ${name} (`)).length, 1, `${m.name}.${name}`);
  }
});
