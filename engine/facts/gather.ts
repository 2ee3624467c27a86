// All the facts a play needs from one host travel in one remote script: each fact's script runs in
// a subshell between marker lines carrying its index and exit status, so one round trip reads them all.
// The functions fact scripts share (reaching a path safely, reading a file) come first, once.
import { randomBytes } from 'node:crypto';
import { PATH_LIB } from '../remote/path-lib.ts';
import { FILE_FACT_LIB } from './file.ts';
import type { Fact } from './types.ts';

export interface GatherScript {
  script: string;
  parse(stdout: string): Map<string, unknown>;
}

export function buildGatherScript(facts: readonly Fact[]): GatherScript {
  const marker = `__shipshape_${randomBytes(6).toString('hex')}__`;
  const parts = facts.map((fact, i) =>
    [
      `printf '%s\\n' '${marker}:${i}:begin'`,
      `( ${fact.script}\n) </dev/null 2>/dev/null`,
      `printf '\\n%s:%d\\n' '${marker}:${i}:end' "$?"`,
    ].join('\n'),
  );
  return {
    script: `${PATH_LIB}${FILE_FACT_LIB}${parts.join('\n')}`,
    parse: (stdout) => parseGather(stdout, facts, marker),
  };
}

function parseGather(stdout: string, facts: readonly Fact[], marker: string): Map<string, unknown> {
  const values = new Map<string, unknown>();
  facts.forEach((fact, i) => {
    const begin = `${marker}:${i}:begin\n`;
    const endPrefix = `\n${marker}:${i}:end:`;
    const start = stdout.indexOf(begin);
    const end = stdout.indexOf(endPrefix, start);
    if (start < 0 || end < 0) throw new Error(`fact ${fact.key}: its output is missing from the gather script's output`);
    const body = stdout.slice(start + begin.length, end);
    const code = Number.parseInt(stdout.slice(end + endPrefix.length, stdout.indexOf('\n', end + endPrefix.length)), 10);
    values.set(fact.key, fact.parse(body, code));
  });
  return values;
}
