// Resolves a task's params for one host: function-valued params are called with the host context.
// A param function that reads ctx.facts before they were gathered throws NeedsFacts, and the
// task is resolved again at run time, once the facts are in.
import type { HostContext, TaskOutput } from '../module.ts';
import type { BaseFacts } from '../facts/base.ts';

export class NeedsFacts extends Error {
  override name = 'NeedsFacts';
  constructor() {
    super('this value depends on host facts, known only once the host is reached');
  }
}

/** Without facts or registered results (before the host is reached), reading them throws NeedsFacts. */
export function hostContext(host: string, groups: string[], vars: Record<string, unknown>, facts: BaseFacts | undefined, registered: Record<string, TaskOutput> | undefined): HostContext {
  return {
    host,
    groups,
    vars,
    get registered(): Record<string, TaskOutput> {
      if (!registered) throw new NeedsFacts();
      return registered;
    },
    get facts(): BaseFacts {
      if (!facts) throw new NeedsFacts();
      return facts;
    },
  };
}

export function resolveParams(params: Record<string, unknown>, ctx: HostContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = typeof v === 'function' ? (v as (c: HostContext) => unknown)(ctx) : v;
  return out;
}
