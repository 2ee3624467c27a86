// Splits a play's hosts into rolling batches, Ansible's way: `serial` is a count, a percentage of
// the play's hosts, or a list of them; the list's last size repeats until every host is placed.
import type { Serial } from '../playbook/define.ts';

export function batchSizes(serial: Serial | undefined, total: number): number[] {
  if (total === 0) return [];
  if (serial === undefined) return [total];
  const specs = Array.isArray(serial) ? serial : [serial];
  if (specs.length === 0) return [total];
  const sizes: number[] = [];
  let placed = 0;
  let i = 0;
  while (placed < total) {
    const spec = specs[Math.min(i, specs.length - 1)];
    const size = Math.max(1, Math.min(total - placed, toCount(spec, total)));
    sizes.push(size);
    placed += size;
    i++;
  }
  return sizes;
}

export function toBatches<T>(items: readonly T[], serial: Serial | undefined): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const size of batchSizes(serial, items.length)) {
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}

function toCount(spec: number | string, total: number): number {
  if (typeof spec === 'number') return Math.floor(spec);
  const m = /^(\d+(?:\.\d+)?)%$/.exec(spec.trim());
  if (m) return Math.floor((Number(m[1]) / 100) * total);
  const n = Number(spec);
  if (Number.isFinite(n)) return Math.floor(n);
  throw new Error(`serial: '${spec}' is neither a count nor a percentage`);
}

/** Why a serial (after a function gave it) cannot be split into batches; undefined when it can. */
export function serialProblem(serial: unknown): string | undefined {
  if (serial === undefined) return undefined;
  const specs = Array.isArray(serial) ? serial : [serial];
  for (const spec of specs) {
    const ok =
      (typeof spec === 'number' && Number.isInteger(spec) && spec > 0) ||
      (typeof spec === 'string' && (/^\s*\d+\s*$/.test(spec) ? Number(spec) > 0 : /^\s*\d+(\.\d+)?%\s*$/.test(spec) && parseFloat(spec) > 0));
    if (!ok) return `${JSON.stringify(spec)} is neither a count of hosts (1, 5) nor a percentage ('25%')`;
  }
  return undefined;
}
