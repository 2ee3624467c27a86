// `engine run` and `engine check`: load and check everything, then run with the chosen consumers
// of the event stream attached. Bad input exits 5 before any host is touched.
import { dirname, resolve } from 'node:path';
import { EXIT, InputError, type Problem } from '../errors.ts';
import { loadInventory, PatternError, selectHosts } from '../inventory/index.ts';
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import { loadPlaybook } from '../playbook/load.ts';
import type { Play, Playbook } from '../playbook/define.ts';
import { EventBus } from '../report/events.ts';
import { humanView } from '../report/human.ts';
import { jsonLines } from '../report/json.ts';
import { connectionFileProblems } from '../run/connection-files.ts';
import { RunControl } from '../run/control.ts';
import { runPlaybook } from '../run/runner.ts';
import type { SavedPlanSession } from '../saved-plan/session.ts';
import { askBecomePass } from './ask-pass.ts';
import { throwAll } from './bad-input.ts';
import { parseExtraVars } from './extra-vars.ts';

export interface RunFlags {
  inventory: string;
  check?: boolean;
  diff?: boolean;
  limit?: string;
  tags?: string;
  skipTags?: string;
  forks: string;
  extraVars: string[];
  json?: boolean;
  verbose?: boolean;
  timeout?: string;
  askBecomePass?: boolean;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  forceHandlers?: boolean;
  log?: string;
  taskTimeout: string;
  lockTimeout: string;
  retryFile?: string;
}

/** Seconds the steps under way get after a first Ctrl-C before they are killed. */
const GRACE_MS = 10_000;

const list = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

export async function runCommand(playbookPath: string, flags: RunFlags, mode: 'run' | 'check', saved?: SavedPlanSession): Promise<number> {
  const check = mode === 'check' || Boolean(flags.check);
  const diff = mode === 'check' || Boolean(flags.diff);
  // Everything is read and checked before any host is touched, and every mistake found is said at
  // once: the command line's, the playbook's and the inventory's.
  const cli = commandLineProblems(flags);
  let extraVars: Record<string, unknown> = {};
  try {
    extraVars = parseExtraVars(flags.extraVars);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    cli.push(...err.problems);
  }
  const [loadedPlaybook, loadedInventory] = await Promise.allSettled([loadPlaybook(playbookPath), loadInventory(flags.inventory)]);
  throwAll([
    ...(cli.length > 0 ? [new InputError(cli)] : []),
    ...[loadedPlaybook, loadedInventory].filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason),
  ]);
  const playbook = (loadedPlaybook as PromiseFulfilledResult<Playbook>).value;
  const inventory = (loadedInventory as PromiseFulfilledResult<Inventory>).value;

  const problems: Problem[] = [];
  let limited: Set<string> | undefined;
  if (flags.limit !== undefined) {
    try {
      limited = new Set(selectHosts(inventory, flags.limit).map((h) => h.name));
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      problems.push({ file: '(command line)', field: '--limit', message: err.problems.join('; ') });
    }
  }
  const playHosts = new Map<Play, InventoryHost[]>();
  for (const play of playbook.plays) {
    try {
      playHosts.set(play, selectHosts(inventory, play.hosts).filter((h) => !limited || limited.has(h.name)));
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      problems.push({ file: playbookPath, where: `play '${play.name}'`, field: 'hosts', message: err.problems.join('; ') });
    }
  }
  const hostsOf = (play: Play): InventoryHost[] => playHosts.get(play) ?? [];
  const involved = new Set(playbook.plays.flatMap((p) => hostsOf(p).map((h) => h.name)));
  const hosts = inventory.hosts.filter((h) => involved.has(h.name));
  const connect = { knownHosts: flags.knownHosts, acceptNewHostKeys: Boolean(flags.acceptNewHostKeys), connectTimeoutMs: flags.timeout ? Number(flags.timeout) * 1000 : undefined };
  problems.push(...(await connectionFileProblems(hosts, inventory, connect)));
  if (problems.length > 0) throw new InputError(problems);

  if (flags.askBecomePass) {
    const password = await askBecomePass();
    for (const h of inventory.hosts) h.become.password = password;
  }

  const bus = new EventBus();
  if (flags.json) bus.on(jsonLines(process.stdout, Boolean(flags.verbose)));
  else bus.on(humanView({ out: process.stdout, diff, verbose: Boolean(flags.verbose), tty: Boolean(process.stdout.isTTY) }));
  // winston is loaded only when a log is asked for: most runs have none.
  const log = flags.log ? (await import('../report/log-file.ts')).logFile(flags.log) : undefined;
  if (log) bus.on(log.listener);
  // Ctrl-C once: no new task starts, the steps under way get GRACE_MS, then the recap and the retry
  // file. Twice: the connections close at once (a write under way is then left out, never half-done).
  const control = new RunControl();
  const onSignal = (signal: NodeJS.Signals) => {
    const stage = control.signalled(signal, GRACE_MS);
    process.stderr.write(
      stage === 'stopping'
        ? `\n${signal}: stopping: no new task starts, the steps under way get ${GRACE_MS / 1000} s; ${signal} again aborts at once\n`
        : `\n${signal} again: aborting now\n`,
    );
    // Whatever is still pending after an abort (a wait from the controller) gets a few seconds.
    if (stage === 'aborted') setTimeout(() => process.exit(EXIT.interrupted), 5000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await runPlaybook(
      {
        playbookFile: playbookPath,
        baseDir: dirname(resolve(playbookPath)),
        playbook,
        inventory,
        hosts,
        hostsOf,
        check,
        forks: Number(flags.forks),
        extraVars,
        filter: { tags: list(flags.tags), skipTags: list(flags.skipTags) },
        forceHandlers: Boolean(flags.forceHandlers),
        exitOnPending: mode === 'check',
        ...connect,
        taskTimeoutS: Number(flags.taskTimeout),
        lockTimeoutS: Number(flags.lockTimeout),
        control,
        ...(flags.retryFile ? { retryFile: flags.retryFile } : {}),
        ...(saved ? { saved } : {}),
      },
      bus,
    );
    return summary.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await log?.close();
  }
}

/** Flags that must be numbers; -e is read by parseExtraVars. */
function commandLineProblems(flags: RunFlags): Problem[] {
  const problems: Problem[] = [];
  if (!/^\d+$/.test(flags.forks) || Number(flags.forks) < 1) {
    problems.push({ file: '(command line)', field: '--forks', message: `must be a whole number of hosts, 1 or more, not '${flags.forks}'` });
  }
  if (flags.timeout !== undefined && !(/^\d+(\.\d+)?$/.test(flags.timeout) && Number(flags.timeout) > 0)) {
    problems.push({ file: '(command line)', field: '--timeout', message: `must be a number of seconds, not '${flags.timeout}'` });
  }
  if (!(/^\d+(\.\d+)?$/.test(flags.taskTimeout) && Number(flags.taskTimeout) > 0)) {
    problems.push({ file: '(command line)', field: '--task-timeout', message: `must be a number of seconds, more than 0, not '${flags.taskTimeout}'` });
  }
  if (!/^\d+(\.\d+)?$/.test(flags.lockTimeout)) {
    problems.push({ file: '(command line)', field: '--lock-timeout', message: `must be a number of seconds, not '${flags.lockTimeout}'` });
  }
  return problems;
}

export { EXIT };
