// assert: stops a host with a clear message when a prerequisite does not hold (Debian 12, at least
// 1 GiB of memory). Reads only the base facts; never a change, never a step.
import { defineModule, PrepareError } from '../../engine/module.ts';
import type { BaseFacts } from '../../engine/facts/base.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { OneOrMany, toList, Type } from '../../engine/schema.ts';

const params = Type.Object(
  {
    osId: Type.Optional(OneOrMany(Type.String({ minLength: 1 }), { description: "The OS id (ID in /etc/os-release) must be this one, or one of these: 'debian'." })),
    osVersion: Type.Optional(OneOrMany(Type.String({ minLength: 1 }), { description: "The OS version (VERSION_ID in /etc/os-release) must be this one, or one of these: '12'." })),
    osCodename: Type.Optional(OneOrMany(Type.String({ minLength: 1 }), { description: "The OS codename must be this one, or one of these: 'bookworm'." })),
    arch: Type.Optional(OneOrMany(Type.String({ minLength: 1 }), { description: "The machine architecture (uname -m) must be this one, or one of these: 'x86_64', 'aarch64'." })),
    minMemoryMb: Type.Optional(Type.Integer({ minimum: 0, description: 'The host must have at least this much memory (MemTotal, in MiB).' })),
    that: Type.Optional(
      Type.Union([Type.Boolean(), Type.Record(Type.String({ minLength: 1 }), Type.Boolean())], {
        description:
          'A condition of your own, usually a function of the host: (ctx) => ctx.facts.memoryMb >= 1024; or named conditions, each checked: (ctx) => ({ "swap off": ..., "kernel 6": ... }). A false one fails the host.',
      }),
    ),
    msg: Type.Optional(Type.String({ minLength: 1, description: 'Message for a failure, put before the list of failed conditions.' })),
  },
  { additionalProperties: false },
);

type Params = {
  osId?: string | string[];
  osVersion?: string | string[];
  osCodename?: string | string[];
  arch?: string | string[];
  minMemoryMb?: number;
  that?: boolean | Record<string, boolean>;
  msg?: string;
};

/** The failed conditions, each in words naming the param, the wanted and the actual value. */
export function failedConditions(p: Params, base: BaseFacts): string[] {
  const failed: string[] = [];
  const oneOf = (param: string, label: string, wanted: string | string[] | undefined, actual: string) => {
    const list = toList(wanted);
    if (list.length > 0 && !list.includes(actual)) {
      failed.push(`${param}: ${label} is '${actual || '(unknown)'}', expected ${list.length === 1 ? `'${list[0]}'` : `one of ${list.map((v) => `'${v}'`).join(', ')}`}`);
    }
  };
  oneOf('osId', 'the OS', p.osId, base.os.id);
  oneOf('osVersion', 'the OS version', p.osVersion, base.os.versionId);
  oneOf('osCodename', 'the OS codename', p.osCodename, base.os.codename);
  oneOf('arch', 'the architecture', p.arch, base.arch);
  if (p.minMemoryMb !== undefined && base.memoryMb < p.minMemoryMb) failed.push(`minMemoryMb: the host has ${base.memoryMb} MiB of memory, at least ${p.minMemoryMb} MiB needed`);
  if (p.that === false) failed.push('that: the condition is false');
  if (typeof p.that === 'object') for (const [name, ok] of Object.entries(p.that)) if (!ok) failed.push(`that: '${name}' is false`);
  return failed;
}

export const assert = defineModule({
  name: 'assert',
  summary: "Fail the host with a clear message when a prerequisite (OS, version, memory, a condition of your own) does not hold.",
  doc: [
    'Checks the base facts gathered with the play (os-release, uname -m, MemTotal) and conditions of',
    'your own, all at once: a host where any fails stops with a message naming every failed condition,',
    'the value found and the one wanted. Never a change. `that` is usually a function of the host, which',
    'sees the same base facts (ctx.facts) and vars; give it named conditions to have each one named.',
    '',
    "  assert({ osId: 'debian', osVersion: '12', minMemoryMb: 1024, msg: 'the relay guide needs Debian 12 and 1 GiB' })",
    "  assert({ that: (ctx) => ({ 'domain set': typeof ctx.vars.domain === 'string' }) })",
  ].join('\n'),
  params,
  prepare(p) {
    const given = ['osId', 'osVersion', 'osCodename', 'arch', 'minMemoryMb', 'that'].filter((k) => (p as Record<string, unknown>)[k] !== undefined);
    if (given.length === 0) throw new PrepareError('give at least one condition: osId, osVersion, osCodename, arch, minMemoryMb or that', 'that');
  },
  facts: () => [],
  plan(p, ctx) {
    const failed = failedConditions(p, ctx.base);
    if (failed.length > 0) throw new PlanError(`${p.msg ? `${p.msg}: ` : ''}assertion failed: ${failed.join('; ')}`);
    return { changes: [], steps: [], msg: 'all conditions hold' };
  },
});
