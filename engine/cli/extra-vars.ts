// -e key=value and -e @file.json, merged left to right (a later -e wins).
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';

export function parseExtraVars(items: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const item of items) {
    if (item.startsWith('@')) {
      const file = item.slice(1);
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new InputError([{ file, field: '-e', message: `cannot read extra vars: ${(err as Error).message}` }]);
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError([{ file, field: '-e', message: 'must hold a JSON object' }]);
      Object.assign(vars, parsed);
    } else if (item.trim().startsWith('{')) {
      try {
        Object.assign(vars, JSON.parse(item));
      } catch (err) {
        throw new InputError([{ file: '(command line)', field: '-e', message: `not valid JSON: ${(err as Error).message}` }]);
      }
    } else {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new InputError([{ file: '(command line)', field: '-e', message: `'${item}' is not key=value, @file.json or a JSON object` }]);
      vars[item.slice(0, eq)] = item.slice(eq + 1);
    }
  }
  return vars;
}
