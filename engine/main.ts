// The command line: `engine run PLAYBOOK -i INVENTORY`, `engine check`, `engine inventory`,
// `engine modules`. Every error that is the user's input exits 5 with a message naming the place.
// Started by engine/cli.mjs from the engine's bundle (see engine/bundle/), or from source by tests.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, InputError } from './errors.ts';
import { describeInventory, loadInventory } from './inventory/index.ts';
import { badInputMessage, isBadInput } from './cli/bad-input.ts';
import { runCommand, type RunFlags } from './cli/run-command.ts';
import { applyCommand, planCommand, showCommand } from './cli/plan-commands.ts';
import { moduleList, moduleReference } from './cli/modules-command.ts';
import { maskSecrets } from './secret.ts';
import { closest } from './suggest.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

function runOptions(cmd: Command): Command {
  return connectOptions(
    cmd
      .requiredOption('-i, --inventory <file>', 'inventory file (.ts, .yml, or Ansible INI)')
      .option('-l, --limit <pattern>', "restrict to hosts: names, groups, globs, '!exclude', '&intersect', @file")
      .option('-t, --tags <tags>', 'run only tasks with these tags (comma separated)')
      .option('--skip-tags <tags>', 'skip tasks with these tags')
      .option('-e, --extra-vars <key=value|@file.json>', 'extra variables (highest precedence); repeatable', collect, []),
  );
}

/** What a run takes besides what it runs on: shared by run, check, plan and apply. */
function connectOptions(cmd: Command): Command {
  return cmd
    .option('-f, --forks <n>', 'hosts worked on in parallel', '50')
    .option('--json', 'print events as JSON Lines on stdout')
    .option('-v, --verbose', 'show every task and command')
    .option('--timeout <seconds>', 'SSH connect timeout')
    .option('--ask-become-pass', 'ask for the sudo password before connecting')
    .option('--known-hosts <file>', 'known_hosts file (default: the inventory setting, then ~/.ssh/known_hosts)')
    .option('--accept-new-host-keys', 'record keys of hosts not yet known (a changed key is still refused)')
    .option('--force-handlers', 'run notified handlers on hosts that failed')
    .option('--log <file>', 'write every event and command as JSON lines to this file')
    .option('--task-timeout <seconds>', 'seconds each command may run before it is killed and its task fails (a task\'s own timeout wins)', '3600')
    .option('--lock-timeout <seconds>', 'seconds to wait for another run that holds a host', '30')
    .option('--retry-file <file>', 'where to write the hosts to retry (failed, unreachable, unfinished); default: a file in the temp folder, named in the recap');
}

// Command-line mistakes are bad input too (exit 5), said in one line: commander's errors are
// thrown (exitOverride, inherited by the commands below) and printed by report(), not by commander.
const program = new Command('engine')
  .description('Agentless configuration engine: typed playbooks over SSH')
  .exitOverride()
  .configureOutput({ outputError: () => {} });

runOptions(program.command('run <playbook>').description('run a playbook')
  .option('-C, --check', 'dry run: plan every change, execute none')
  .option('-D, --diff', 'show what changes: unified diffs of files, before -> after of attributes'))
  .action(async (playbook: string, flags: RunFlags & { extraVars: string[] }) => exit(await runCommand(playbook, flags, 'run')));

runOptions(program.command('check <playbook>').description('dry run with diffs; exit 2 when changes are pending, 0 when converged'))
  .action(async (playbook: string, flags: RunFlags) => exit(await runCommand(playbook, flags, 'check')));

runOptions(program.command('plan <playbook>').description('dry run with diffs, saved: engine apply then executes exactly it')
  .requiredOption('-o, --out <file>', 'where to write the plan (made 0600; secrets are not in it)'))
  .action(async (playbook: string, flags: RunFlags & { out: string }) => exit(await planCommand(playbook, flags)));

connectOptions(program.command('apply <planfile>').description('execute a saved plan; a host that changed since it was made is refused')
  .option('--refresh', 'plan again against the hosts as they are, instead of holding them to the file'))
  .action(async (path: string, flags: RunFlags & { refresh?: boolean }) => exit(await applyCommand(path, flags)));

program.command('show <planfile>').description('print a saved plan for review')
  .option('--json', 'the plan as JSON')
  .action((path: string, flags: { json?: boolean }) => exit(showCommand(path, flags)));

program.command('inventory').description('show an inventory')
  .requiredOption('-i, --inventory <file>', 'inventory file')
  .addOption(new Option('--list', 'hosts with their variables and connection, as JSON').conflicts('graph'))
  .option('--graph', 'groups and hosts as a tree')
  .action(async (flags: { inventory: string; graph?: boolean }) => {
    const inv = await loadInventory(flags.inventory);
    process.stdout.write(`${describeInventory(inv, flags.graph ? 'graph' : 'list')}\n`);
  });

program.command('modules [name]').description('the module reference, generated from the params schemas')
  .action(async (name?: string) => {
    const all = Object.values(await import('../modules/index.ts')).map((m) => (m as { def: import('./module.ts').ModuleDef }).def).filter(Boolean);
    if (!name) return void process.stdout.write(`${moduleList(all)}\n`);
    const m = all.find((x) => x.name === name);
    if (!m) {
      const near = closest(name, all.map((x) => x.name));
      throw new InputError([{ file: '(command line)', field: 'name', message: `no module named '${name}'${near ? ` (did you mean ${near}?)` : ''}; engine modules lists them` }]);
    }
    process.stdout.write(`${moduleReference(m)}\n`);
  });

function exit(code: number): void {
  process.exitCode = code;
}

/** Parses argv (process.argv's shape) and runs the command; sets process.exitCode. */
export function main(argv: string[]): Promise<void> {
  return Promise.resolve()
    .then(() => program.parseAsync(argv))
    .then(
      () => undefined,
      (err: unknown) => report(err, argv),
    );
}

function report(err: unknown, argv: string[]): void {
  if (err instanceof CommanderError && err.exitCode === 0) return void (process.exitCode = EXIT.ok); // --help, help
  if (isBadInput(err)) {
    // commander printed its help for `engine` alone (code commander.help); anything else is said here.
    if (!(err instanceof CommanderError && err.code === 'commander.help')) process.stderr.write(`${maskSecrets(err instanceof CommanderError ? commandLineMessage(err, argv) : badInputMessage(err))}\n`);
    process.exitCode = EXIT.badInput;
    return;
  }
  process.stderr.write(`engine: ${maskSecrets((err as Error)?.stack ?? String(err))}\n`);
  process.exitCode = EXIT.internal;
}

/** "error: unknown option '--diff'" -> "engine check: unknown option '--diff' (see engine check --help)". */
function commandLineMessage(err: CommanderError, argv: string[]): string {
  const command = program.commands.find((c) => c.name() === argv[2]);
  const name = command ? `engine ${command.name()}` : 'engine';
  const [text, ...rest] = err.message.replace(/^error: /, '').split('\n');
  const hint = rest.join(' ').replace(/^\(Did you mean/, '(did you mean');
  return `${name}: ${text}${hint ? ` ${hint}` : ` (see ${name} --help)`}`;
}
