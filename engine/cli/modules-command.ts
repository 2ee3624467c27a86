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
  const required = new Set(m.params.required ?? []);
  for (const [name, schema] of Object.entries(m.params.properties as Record<string, TSchema>)) {
    const flags = [required.has(name) ? 'required' : 'optional', typeText(schema)];
    if (schema.default !== undefined) flags.push(`default ${JSON.stringify(schema.default)}`);
    if (schema['x-secret']) flags.push('secret');
    lines.push(`  ${name} (${flags.join(', ')})`);
    if (schema.description) lines.push(`      ${schema.description}`);
  }
  return lines.join('\n');
}

function typeText(s: TSchema): string {
  if (s.enum) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return (s.anyOf as TSchema[]).map(typeText).join(' | ');
  if (s.type === 'array') return `${typeText(s.items as TSchema)}[]`;
  if (s.type === 'object') return 'object';
  return String(s.type ?? 'any');
}
