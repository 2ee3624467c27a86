// waitFor: waits until a TCP port is open or closed (checked on the host, or from the controller),
// a path is present or absent, or a file matches a regular expression: the health check of a
// rolling upgrade. An action: a dry run waits for nothing and reports ok; never a change.
import { defineModule, PrepareError } from '../../engine/module.ts';
import { PlanError, type WaitStep } from '../../engine/plan/types.ts';
import { quote } from '../../engine/quote.ts';
import { Choice, Type } from '../../engine/schema.ts';

const params = Type.Object(
  {
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'A TCP port to wait for (state open or closed).' })),
    address: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Where the port is. Default: 127.0.0.1 when checked on the host; from the controller, the host's inventory address (give one when the host is behind a jump host).",
      }),
    ),
    path: Type.Optional(Type.String({ pattern: '^/', description: 'A path on the host to wait for (state present or absent), or the file `search` is looked for in.' })),
    search: Type.Optional(Type.String({ minLength: 1, description: 'An extended regular expression (grep -E) to wait for in the file at `path`.' })),
    state: Type.Optional(
      Choice(['open', 'closed', 'present', 'absent'], {
        description: 'For a port: open (default) or closed. For a path: present (default) or absent. Not used with search.',
      }),
    ),
    from: Type.Optional(Choice(['host', 'controller'], { description: 'Where the port is checked from: host (default, with bash /dev/tcp) or controller. Paths are always checked on the host.' })),
    timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Seconds to wait before failing. Default 300.' })),
    interval: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Seconds between checks. Default 1.' })),
    delay: Type.Optional(Type.Number({ minimum: 0, description: 'Seconds to wait before the first check. Default 0.' })),
  },
  { additionalProperties: false },
);

type Params = {
  port?: number;
  address?: string;
  path?: string;
  search?: string;
  state?: 'open' | 'closed' | 'present' | 'absent';
  from?: 'host' | 'controller';
  timeout?: number;
  interval?: number;
  delay?: number;
};

/** What is waited for, in words, for the plan's message and the timeout error. */
export function describeWait(p: Params, host: string): string {
  if (p.port !== undefined) {
    const where = p.address ?? (p.from === 'controller' ? host : '127.0.0.1');
    return `port ${p.port} on ${where} to be ${p.state ?? 'open'}${p.from === 'controller' ? ' (checked from the controller)' : ` (checked on ${host})`}`;
  }
  if (p.search !== undefined) return `/${p.search}/ in ${p.path}`;
  return `${p.path} to be ${p.state ?? 'present'}`;
}

/**
 * The shell loop that waits on the host, in one round trip: exit 0 when the condition holds,
 * 124 (timeout's) when the time is up. The checked values travel as quoted arguments, never as shell text.
 */
export function waitScript(p: Params): string {
  const timeout = p.timeout ?? 300;
  const interval = p.interval ?? 1;
  let probe: string;
  if (p.port !== undefined) {
    // bash is essential on Debian; /dev/tcp is bash's. $0 and $1 are the address and port.
    const open = `timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${quote(p.address ?? '127.0.0.1')} ${quote(String(p.port))} 2>/dev/null`;
    probe = p.state === 'closed' ? `! ${open}` : open;
  } else if (p.search !== undefined) {
    probe = `[ -f ${quote(p.path!)} ] && grep -Eq -e ${quote(p.search)} -- ${quote(p.path!)}`;
  } else if (p.state === 'absent') {
    probe = `[ ! -e ${quote(p.path!)} ] && [ ! -L ${quote(p.path!)} ]`;
  } else {
    probe = `[ -e ${quote(p.path!)} ]`;
  }
  // timeout(1) bounds the whole loop to the second's fraction; it exits 124 when the time is up.
  const loop = `until ${probe}; do sleep ${interval}; done`;
  return [p.delay ? `sleep ${p.delay}` : '', `timeout ${timeout} sh -c ${quote(loop)}`].filter(Boolean).join('\n');
}

/** The wait as data: the engine runs it (engine/run/steps/wait.ts). */
function waitStep(p: Params, host: string): WaitStep {
  const what = describeWait(p, host);
  const timeoutS = p.timeout ?? 300;
  if (p.from === 'controller') {
    return { kind: 'wait', what, on: 'controller', address: p.address!, port: p.port!, state: p.state === 'closed' ? 'closed' : 'open', timeoutS, intervalS: p.interval ?? 1, delayS: p.delay ?? 0 };
  }
  return { kind: 'wait', what, on: 'host', script: waitScript(p), timeoutS: (p.delay ?? 0) + timeoutS };
}

export const waitFor = defineModule({
  name: 'waitFor',
  summary: 'Wait until a TCP port is open or closed, a path is present or absent, or a file matches a pattern.',
  doc: [
    'Waits, checking every `interval` seconds for up to `timeout`, and fails with a message saying what',
    'it waited for when the time is up. A port is checked on the host (bash /dev/tcp, against 127.0.0.1',
    'unless `address` is given) or, with `from: controller`, from the machine running the engine. A',
    'path is checked on the host; with `search`, until the file matches the extended regular expression.',
    'An action: a dry run waits for nothing and reports ok, a real run reports ok once the wait is over.',
    '',
    "  waitFor({ port: 5223, timeout: 60 })                                   // smp-server listening",
    "  waitFor({ port: 443, from: 'controller' })                            // reachable from outside",
    "  waitFor({ path: '/var/log/relay.log', search: 'Listening on', timeout: 30 })",
  ].join('\n'),
  params,
  prepare(p) {
    const targets = [p.port !== undefined && 'port', p.path !== undefined && 'path'].filter(Boolean);
    if (targets.length !== 1) throw new PrepareError('give exactly one of port and path', 'port');
    if (p.port !== undefined && p.state !== undefined && p.state !== 'open' && p.state !== 'closed') throw new PrepareError(`a port is open or closed, not ${p.state}`, 'state');
    if (p.path !== undefined && (p.state === 'open' || p.state === 'closed')) throw new PrepareError(`a path is present or absent, not ${p.state}`, 'state');
    if (p.search !== undefined && p.path === undefined) throw new PrepareError('search needs path, the file to look in', 'search');
    if (p.search !== undefined && p.state !== undefined) throw new PrepareError('state is not used with search: the wait ends when the file matches', 'state');
    if (p.path !== undefined && p.from === 'controller') throw new PrepareError('paths are checked on the host: from controller is for ports', 'from');
    if (p.address !== undefined && p.port === undefined) throw new PrepareError('address is for a port', 'address');
  },
  facts: () => [],
  plan(p, ctx) {
    const wanted: Params = p.from === 'controller' && p.address === undefined ? { ...p, address: ctx.address } : p;
    if (p.from === 'controller' && wanted.address === undefined) throw new PlanError(`the address of ${ctx.host} is not known: give address`);
    // What a wait waits for is the host changing by itself (a server starting writes its files):
    // every fact read before it may be stale, so later tasks read the host again, as after a command.
    return { changes: [], steps: [waitStep(wanted, ctx.host)], invalidates: ['*'], msg: `wait for ${describeWait(wanted, ctx.host)}` };
  },
});
