// `engine modules [NAME]`: the module reference, generated from each module's params schema, so
// the documentation cannot drift from what validation accepts.
import type { TSchema } from '@sinclair/typebox';
import type { ModuleDef } from '../module.ts';

export function moduleList(modules: ModuleDef[]): string {
  const width = Math.max(...modules.map((m) => m.name.length));
  return modules.map((m) => `${m.name.padEnd(width)}  ${m.summary}`).join('\n');
}

export function moduleReference(m: ModuleDef): string {
  const lines = [`${m.name}: ${m.summary}`, ''];
  if (m.doc) lines.push(m.doc.trim(), '');
  lines.push('PARAMETERS');
  describeFields(m.params, '', lines);
  return lines.join('\n');
}

/** One entry per field; an object's fields (or an array of objects' items') follow as `name.field` / `name[].field`. */
function describeFields(object: TSchema, prefix: string, lines: string[]): void {
  const required = new Set<string>(object.required ?? []);
  for (const [name, schema] of Object.entries(object.properties as Record<string, TSchema>)) {
    const flags = [required.has(name) ? 'required' : 'optional', typeText(schema)];
    if (schema.default !== undefined) flags.push(`default ${JSON.stringify(schema.default)}`);
    if (schema['x-secret']) flags.push('secret');
    lines.push(`  ${prefix}${name} (${flags.join(', ')})`);
    if (schema.description) lines.push(`      ${schema.description}`);
    const nested = objectIn(schema);
    if (nested) describeFields(nested.schema, `${prefix}${name}${nested.array ? '[]' : ''}.`, lines);
  }
}

/** The object schema with named fields inside a field (itself, an array's items, or one branch of a union). */
function objectIn(s: TSchema): { schema: TSchema; array: boolean } | undefined {
  if (s.type === 'object' && s.properties && Object.keys(s.properties).length > 0) return { schema: s, array: false };
  if (s.type === 'array' && s.items) {
    const inner = objectIn(s.items as TSchema);
    return inner && !inner.array ? { schema: inner.schema, array: true } : undefined;
  }
  for (const branch of (s.anyOf ?? []) as TSchema[]) {
    const inner = objectIn(branch);
    if (inner) return inner;
  }
  return undefined;
}

function typeText(s: TSchema): string {
  if (s.enum) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return (s.anyOf as TSchema[]).map(typeText).join(' | ');
  if (s.type === 'array') return `${typeText(s.items as TSchema)}[]`;
  if (s.type === 'object') return 'object';
  return String(s.type ?? 'any');
}
