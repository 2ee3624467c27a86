// Ansible host ranges: relay[01:20].example.org, host-[a:f], web[1:10:2]; several ranges in one name multiply.

export type RangeResult = { ok: true; names: string[] } | { ok: false; message: string };

const MAX_NAMES = 100_000;

/** Expands every [start:end] or [start:end:step] range in a host name; a name without brackets is returned as is. */
export function expandHostRange(pattern: string): RangeResult {
  const r = expand(pattern);
  return r.ok ? r : fail(`${r.message} in "${pattern}"`);
}

function expand(pattern: string): RangeResult {
  const open = pattern.indexOf('[');
  if (open < 0) return pattern.includes(']') ? fail('unmatched ]') : { ok: true, names: [pattern] };
  const close = pattern.indexOf(']', open);
  if (close < 0) return fail('unclosed [');
  const values = rangeValues(pattern.slice(open + 1, close));
  if (!values.ok) return values;
  const rest = expand(pattern.slice(close + 1));
  if (!rest.ok) return rest;
  if (values.names.length * rest.names.length > MAX_NAMES) return fail(`ranges yield more than ${MAX_NAMES} names`);
  const head = pattern.slice(0, open);
  return { ok: true, names: values.names.flatMap((v) => rest.names.map((tail) => head + v + tail)) };
}

function rangeValues(body: string): RangeResult {
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) return fail(`range [${body}] must be [start:end] or [start:end:step]`);
  const [beg, end, stepText] = parts as [string, string, string | undefined];
  const step = stepText === undefined || stepText === '' ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : NaN;
  if (!(step >= 1)) return fail(`range step "${stepText}" must be a positive integer`);
  if (/^\d*$/.test(beg) && /^\d+$/.test(end)) return numeric(beg, end, step);
  if ((/^[a-z]$/.test(beg) && /^[a-z]$/.test(end)) || (/^[A-Z]$/.test(beg) && /^[A-Z]$/.test(end))) return alphabetic(beg, end, step);
  return fail(`range [${body}] must be numbers ([01:20]) or single letters of one case ([a:f])`);
}

function numeric(beg: string, end: string, step: number): RangeResult {
  const from = beg === '' ? 0 : Number(beg);
  const to = Number(end);
  const padded = beg.length > 1 && beg.startsWith('0');
  if (padded && beg.length !== end.length) return fail(`range [${beg}:${end}] must give start and end the same width`);
  if (from > to) return fail(`range start ${beg} is after its end ${end}`);
  if ((to - from) / step >= MAX_NAMES) return fail(`range [${beg}:${end}] yields more than ${MAX_NAMES} names`);
  const out: string[] = [];
  for (let i = from; i <= to; i += step) out.push(padded ? String(i).padStart(beg.length, '0') : String(i));
  return { ok: true, names: out };
}

function alphabetic(beg: string, end: string, step: number): RangeResult {
  const from = beg.charCodeAt(0);
  const to = end.charCodeAt(0);
  if (from > to) return fail(`range start ${beg} is after its end ${end}`);
  const out: string[] = [];
  for (let c = from; c <= to; c += step) out.push(String.fromCharCode(c));
  return { ok: true, names: out };
}

function fail(message: string): RangeResult {
  return { ok: false, message };
}
