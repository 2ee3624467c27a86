// `engine run` and `engine check`: load and check everything, then run with the chosen consumers
// of the event stream attached. Bad input exits 5 before any host is touched.
import { dirname, resolve } from 'node:path';
import { EXIT, InputError, type Problem } from '../errors.ts';
import { loadInventory, PatternError, selectHosts } from '../inventory/index.ts';
import type { InventoryHost } from '../inventory/types.ts';
import { loadPlaybook } from '../playbook/load.ts';
import type { Play } from '../playbook/define.ts';
import { EventBus } from '../report/events.ts';
import { humanView } from '../report/human.ts';
import { jsonLines } from '../report/json.ts';
import { RunControl } from '../run/control.ts';
import { runPlaybook } from '../run/runner.ts';
import { askBecomePass } from './ask-pass.ts';
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

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === '') throw new InputError([{ file: '(command line)', field: flag, message: `must be a number of seconds, not '${value}'` }]);
  return n;
}

const list = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

export async function runCommand(playbookPath: string, flags: RunFlags, mode: 'run' | 'check'): Promise<number> {
  const check = mode === 'check' || Boolean(flags.check);
  const diff = mode === 'check' || Boolean(flags.diff);
  const [playbook, inventory, extraVars] = await Promise.all([loadPlaybook(playbookPath), loadInventory(flags.inventory), Promise.resolve(parseExtraVars(flags.extraVars))]);

  const limited = flags.limit ? new Set(selectHosts(inventory, flags.limit).map((h) => h.name)) : undefined;
  const playHosts = new Map<Play, InventoryHost[]>();
  const problems: Problem[] = [];
  for (const play of playbook.plays) {
    try {
      playHosts.set(play, selectHosts(inventory, play.hosts).filter((h) => !limited || limited.has(h.name)));
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      problems.push({ file: playbookPath, where: `play '${play.name}'`, field: 'hosts', message: err.message });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  const hostsOf = (play: Play): InventoryHost[] => playHosts.get(play) ?? [];
  const involved = new Set(playbook.plays.flatMap((p) => hostsOf(p).map((h) => h.name)));
  const hosts = inventory.hosts.filter((h) => involved.has(h.name));

  if (flags.askBecomePass) {
    const password = await askBecomePass();
    for (const h of inventory.hosts) h.become.password = password;
  }
  const forks = Number(flags.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new Error(`--forks must be a positive whole number, not '${flags.forks}'`);
  const taskTimeoutS = seconds('--task-timeout', flags.taskTimeout);
  if (taskTimeoutS <= 0) throw new InputError([{ file: '(command line)', field: '--task-timeout', message: 'must be more than 0 seconds' }]);
  const lockTimeoutS = seconds('--lock-timeout', flags.lockTimeout);

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
        forks,
        extraVars,
        filter: { tags: list(flags.tags), skipTags: list(flags.skipTags) },
        forceHandlers: Boolean(flags.forceHandlers),
        exitOnPending: mode === 'check',
        knownHosts: flags.knownHosts,
        acceptNewHostKeys: Boolean(flags.acceptNewHostKeys),
        connectTimeoutMs: flags.timeout ? Number(flags.timeout) * 1000 : undefined,
        taskTimeoutS,
        lockTimeoutS,
        control,
        ...(flags.retryFile ? { retryFile: flags.retryFile } : {}),
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

export { EXIT };
