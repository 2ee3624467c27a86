// Saved plans, as Terraform users know them: `engine plan PLAYBOOK -i INV -o FILE` makes the plan
// (the report is the dry run's, with diffs) and writes it; `engine show FILE` prints it for review;
// `engine apply FILE` executes exactly it, host by host, with the same batches and handlers: each
// task is planned again against the host as it is, and executed only if it is the saved one (same
// facts, same steps); a host that changed is refused, naming the fact, and the others go on.
// `--refresh` plans again instead of holding hosts to the file.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT } from '../errors.ts';
import { maskDeep } from '../secret.ts';
import { parsePlanFile, PLAN_FORMAT, PLAN_VERSION, type PlanFile } from '../saved-plan/format.ts';
import { SavedPlanSession } from '../saved-plan/session.ts';
import { runCommand, type RunFlags } from './run-command.ts';
import { parseExtraVars } from './extra-vars.ts';

export async function planCommand(playbook: string, flags: RunFlags & { out: string }): Promise<number> {
  const file: PlanFile = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    created: new Date().toISOString(),
    playbook: resolve(playbook),
    inventory: resolve(flags.inventory),
    extraVars: parseExtraVars(flags.extraVars),
    ...(flags.limit ? { limit: flags.limit } : {}),
    hosts: {},
  };
  const session = new SavedPlanSession({ kind: 'record', file });
  const code = await runCommand(playbook, { ...flags, check: true, diff: true }, 'run', session);
  if (code === EXIT.ok || code === EXIT.failedHosts || code === EXIT.unreachableHosts) {
    writeFileSync(flags.out, `${JSON.stringify(file, null, 1)}\n`, { mode: 0o600 });
    process.stderr.write(`plan written to ${flags.out}: review it with \`engine show ${flags.out}\`, apply it with \`engine apply ${flags.out}\`\n`);
  }
  return code;
}

export async function applyCommand(path: string, flags: Omit<RunFlags, 'inventory' | 'extraVars' | 'limit'> & { refresh?: boolean }): Promise<number> {
  const file = parsePlanFile(readFileSync(path, 'utf8'), path);
  const run: RunFlags = {
    ...flags,
    inventory: file.inventory,
    extraVars: [JSON.stringify(file.extraVars)],
    ...(file.limit ? { limit: file.limit } : {}),
  };
  return runCommand(file.playbook, run, 'run', flags.refresh ? undefined : new SavedPlanSession({ kind: 'apply', file }));
}

export function showCommand(path: string, flags: { json?: boolean }): number {
  const file = parsePlanFile(readFileSync(path, 'utf8'), path);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(maskDeep(file))}\n`);
    return EXIT.ok;
  }
  const lines = [`plan of ${file.playbook} on ${file.inventory}, made ${file.created}${file.limit ? `, --limit ${file.limit}` : ''}`];
  for (const [host, tasks] of Object.entries(file.hosts)) {
    const changing = tasks.filter((t) => t.status === 'changed');
    lines.push('', `${host}: ${changing.length} of ${tasks.length} tasks change something`);
    for (const t of changing) {
      lines.push(`  ${t.handler ? 'handler ' : ''}${t.task} (play '${t.play}')${t.uncertain ? ' [re-planned when applied]' : ''}`);
      for (const c of t.changes) lines.push(`    ${c.what}${c.sensitive ? ' (sensitive)' : `: ${show(c.before)} -> ${show(c.after)}`}`);
      for (const s of t.steps) lines.push(`    $ ${describe(s)}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

function show(v: unknown): string {
  return v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
}

function describe(step: unknown): string {
  const s = step as Record<string, unknown>;
  if (s.kind === 'run') return s.shell ? String(s.shell) : (s.argv as string[]).join(' ');
  if (s.kind === 'write') return `write ${s.path}${s.source ? ` from ${JSON.stringify(s.source)}` : ''}`;
  return `${s.kind} ${s.path ?? ''}`;
}
