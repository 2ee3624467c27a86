// -e key=value and -e @file.json, merged left to right (a later -e wins).
import { readFileSync } from 'node:fs';
import { InputError, type Problem } from '../errors.ts';

export function parseExtraVars(items: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const item of items) {
    if (item.startsWith('@')) {
      const file = item.slice(1);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        problems.push({ file, field: '-e', message: `cannot read extra vars (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
        continue;
      }
      const parsed = parseJson(text);
      if ('error' in parsed) {
        problems.push({ file, ...parsed.at, field: '-e', message: `not valid JSON: ${parsed.error}` });
        continue;
      }
      if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
        problems.push({ file, field: '-e', message: 'must hold a JSON object' });
        continue;
      }
      Object.assign(vars, parsed.value);
    } else if (item.trim().startsWith('{')) {
      const parsed = parseJson(item);
      if ('error' in parsed) {
        const where = parsed.at.column === undefined ? '' : ` (character ${parsed.at.column})`;
        problems.push({ file: '(command line)', field: '-e', message: `'${item}' is not valid JSON: ${parsed.error}${where}` });
      } else Object.assign(vars, parsed.value);
    } else {
      const eq = item.indexOf('=');
      if (eq <= 0) problems.push({ file: '(command line)', field: '-e', message: `'${item}' is not key=value, @file.json or a JSON object` });
      else vars[item.slice(0, eq)] = item.slice(eq + 1);
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return vars;
}

/** JSON.parse, with its "at position N" turned into a line and column. */
function parseJson(text: string): { value: unknown } | { error: string; at: { line?: number; column?: number } } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    const message = (err as Error).message;
    const position = /at position (\d+)/.exec(message);
    const error = message.replace(/ in JSON at position \d+.*$/, '');
    if (!position) return { error, at: {} };
    const before = text.slice(0, Number(position[1])).split('\n');
    return { error, at: { line: before.length, column: before.at(-1)!.length + 1 } };
  }
}
