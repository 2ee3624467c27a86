// command and shell: run something on the host. A command's effects are unknown to the engine, so
// it runs every time unless `creates` already exists or `removes` does not, and its plan
// invalidates every fact (a later task reads the host again in a real run).
import { posix } from 'node:path';
import type { Static } from '@sinclair/typebox';
import { defineModule, PrepareError, type PlanContext } from '../../engine/module.ts';
import { ABSENT_FILE, fileFact } from '../../engine/facts/file.ts';
import type { Fact } from '../../engine/facts/types.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import type { Plan, RunStep } from '../../engine/plan/types.ts';
import { shellJoin } from '../../engine/quote.ts';
import { SecretString, Type } from '../../engine/schema.ts';
import { isSecret } from '../../engine/secret.ts';

const common = {
  chdir: Type.Optional(Type.String({ minLength: 1, description: 'Directory to run in (absolute path).' })),
  creates: Type.Optional(
    Type.String({ minLength: 1, description: 'A path: when it exists, the command is not run. Relative paths are relative to chdir.' }),
  ),
  removes: Type.Optional(
    Type.String({ minLength: 1, description: 'A path: when it does not exist, the command is not run. Relative paths are relative to chdir.' }),
  ),
  produces: Type.Optional(
    Type.Array(Type.String({ pattern: '^/' }), {
      description: 'Absolute paths of files the command creates (a build\'s artifacts): in a dry run later tasks, and other hosts\' transfers, see them as existing, their content known once it ran.',
    }),
  ),
  stdin: Type.Optional(SecretString({ description: 'Text fed on standard input (may be a secret: it never appears in argv or output).' })),
  env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), { additionalProperties: false, description: 'Environment variables for the command (names: letters, digits, _).' })),
};

const commandParams = Type.Object(
  {
    argv: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: "The program and its arguments, e.g. ['systemctl', 'daemon-reload']. Preferred: nothing is split or interpreted." })),
    cmd: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'The command as one line, split on whitespace. Quotes, backslashes and shell syntax ($ ` | ; & < > etc.) are refused: use argv, or the shell module.',
      }),
    ),
    ...common,
  },
  { additionalProperties: false },
);

const shellParams = Type.Object(
  {
    cmd: Type.String({ minLength: 1, description: 'Shell text, run by /bin/sh on the host. The only module that takes raw shell: quote values yourself.' }),
    ...common,
  },
  { additionalProperties: false },
);

type Common = { chdir?: string; creates?: string; removes?: string; produces?: string[] };

/** Shell syntax a whitespace split would silently pass as literal arguments. */
const NOT_SPLITTABLE = /["'\\$`|;&<>(){}*?[\]~#\n]/;

/** The argv of a `command` call: argv as given, or cmd split on whitespace when that is unambiguous. */
export function commandArgv(p: Static<typeof commandParams>): string[] {
  if ((p.argv === undefined) === (p.cmd === undefined)) throw new PrepareError('give exactly one of argv and cmd', p.argv ? 'cmd' : 'argv');
  // An empty program name would reach the host as '' and fail there as "not found".
  if (p.argv) {
    if (p.argv[0] === '') throw new PrepareError('argv[0], the program, is empty', 'argv');
    return p.argv;
  }
  const cmd = p.cmd!;
  if (cmd.trim() === '') throw new PrepareError('cmd is blank: give the program to run', 'cmd');
  const bad = NOT_SPLITTABLE.exec(cmd);
  if (bad) {
    throw new PrepareError(
      `cmd contains ${JSON.stringify(bad[0])}, which a whitespace split would pass literally: give argv (an array of arguments), or use the shell module for shell syntax`,
      'cmd',
    );
  }
  const argv = cmd.trim().split(/\s+/);
  return argv;
}

/** creates/removes as absolute paths, relative ones resolved against chdir. */
function guardPath(p: Common, field: 'creates' | 'removes'): string | undefined {
  const path = p[field];
  if (path === undefined) return undefined;
  if (path.startsWith('/')) return path;
  if (!p.chdir?.startsWith('/')) throw new PrepareError(`${field} '${path}' is relative: give an absolute path, or an absolute chdir`, field);
  return posix.join(p.chdir, path);
}

/**
 * A Secret given where plain text is expected would pass validation (secrets are masked there) and
 * then run as '***'; secrets also do not belong in argv (the host's process list shows it).
 */
function refuseSecrets(p: Record<string, unknown>): void {
  const where = (field: string) => new PrepareError(`a secret cannot go in ${field} (argv and the environment are visible on the host): pass it on stdin`, field);
  if (isSecret(p.cmd)) throw where('cmd');
  if (Array.isArray(p.argv) && p.argv.some(isSecret)) throw where('argv');
  if (p.env && Object.values(p.env as object).some(isSecret)) throw where('env');
  for (const f of ['chdir', 'creates', 'removes']) if (isSecret(p[f])) throw where(f);
}

function checkCommon(p: Common): void {
  refuseSecrets(p as Record<string, unknown>);
  if (p.chdir !== undefined && !p.chdir.startsWith('/')) throw new PrepareError(`chdir '${p.chdir}' must be an absolute path`, 'chdir');
  guardPath(p, 'creates');
  guardPath(p, 'removes');
}

function guardFacts(p: Common): Fact[] {
  return [guardPath(p, 'creates'), guardPath(p, 'removes')].filter((x): x is string => x !== undefined).map((path) => fileFact(path));
}

/** The no-op plan when creates/removes says the command has done its work; undefined to run it. */
function guarded(p: Common, ctx: PlanContext): Plan | undefined {
  const creates = guardPath(p, 'creates');
  if (creates !== undefined && ctx.facts.get(fileFact(creates)).exists) {
    return { changes: [], steps: [], msg: `skipped, since ${creates} exists`, output: { rc: 0, stdout: '', stderr: '', skipped: true } };
  }
  const removes = guardPath(p, 'removes');
  if (removes !== undefined && !ctx.facts.get(fileFact(removes)).exists) {
    return { changes: [], steps: [], msg: `skipped, since ${removes} does not exist`, output: { rc: 0, stdout: '', stderr: '', skipped: true } };
  }
  return undefined;
}

function runPlan(p: Common, text: string, step: RunStep): Plan {
  // What the command will have made: certain to exist after it ran, contents unknown before.
  const made = [guardPath(p, 'creates'), ...(p.produces ?? [])].filter((x): x is string => x !== undefined);
  const guesses = predictions(...made.map((path) => predict(fileFact(path), { ...ABSENT_FILE, exists: true, type: 'file' })));
  return { changes: [{ what: 'run', after: text }], steps: [step], invalidates: ['*'], ...(made.length > 0 ? { guesses } : {}) };
}

function stepOptions(p: Static<typeof commandParams> | Static<typeof shellParams>): Omit<RunStep, 'kind' | 'argv'> {
  return {
    ...(p.stdin !== undefined ? { stdin: p.stdin } : {}),
    ...(p.env ? { env: p.env } : {}),
    ...(p.chdir ? { cwd: p.chdir } : {}),
  };
}

export const command = defineModule({
  name: 'command',
  summary: 'Run a program with arguments (no shell); creates/removes make it idempotent.',
  doc: [
    'Runs a program on the host, without a shell: argv is passed as is, each element one argument.',
    'cmd is a convenience for simple lines: it is split on whitespace, and refused when it holds quotes,',
    'backslashes or shell syntax (use argv, or the shell module). The task reports changed whenever the',
    'command runs; `creates` (skip when this path exists) and `removes` (skip when it does not) make it',
    'idempotent. rc, stdout and stderr are available through `register`. Since its effects are unknown,',
    'every fact is read again after it runs.',
    '',
    "  command({ argv: ['/usr/local/bin/setup', '--init'], creates: '/var/lib/app/.initialised' })",
    "  command({ cmd: 'systemctl daemon-reload' })",
  ].join('\n'),
  params: commandParams,
  prepare(p) {
    checkCommon(p);
    commandArgv(p);
  },
  facts: (p) => guardFacts(p),
  plan(p, ctx) {
    const skip = guarded(p, ctx);
    if (skip) return skip;
    const argv = commandArgv(p);
    return runPlan(p, shellJoin(argv), { kind: 'run', argv, ...stepOptions(p) });
  },
});

export const shell = defineModule({
  name: 'shell',
  summary: 'Run shell text with /bin/sh (pipes, redirections); creates/removes make it idempotent.',
  doc: [
    'Runs cmd as shell text on the host: the one module where raw shell is allowed, so quote any value',
    'you put in it yourself (prefer the command module with argv when no shell syntax is needed).',
    'Reports changed whenever it runs; `creates` and `removes` skip it as in command. rc, stdout and',
    'stderr are available through `register`. Every fact is read again after it runs.',
    '',
    "  shell({ cmd: 'curl -fsSL https://example.org/key | gpg --dearmor > /etc/apt/keyrings/example.gpg', creates: '/etc/apt/keyrings/example.gpg' })",
  ].join('\n'),
  params: shellParams,
  prepare(p) {
    checkCommon(p);
  },
  facts: (p) => guardFacts(p),
  plan(p, ctx) {
    const skip = guarded(p, ctx);
    if (skip) return skip;
    return runPlan(p, p.cmd, { kind: 'run', argv: [], shell: p.cmd, ...stepOptions(p) });
  },
});
