// Bridge-side services run as detached children whose pid the lab records, so `down` stops exactly
// what `up` started (never by name), and `up` twice does not start a second copy.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync, rmSync, existsSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { labPaths } from './paths.ts';
import { sleep } from './sh.ts';

const pidFile = (name: string) => join(labPaths.runDir, `${name}.pid`);
export const logFile = (name: string) => join(labPaths.runDir, `${name}.log`);

/** The pid recorded for `name`, if that process is still alive and still runs `exe`. */
export function daemonPid(name: string): number | undefined {
  if (!existsSync(pidFile(name))) return undefined;
  const [pidText, exe] = readFileSync(pidFile(name), 'utf8').split('\n');
  const pid = Number(pidText);
  return pidAlive(pid, exe) ? pid : undefined;
}

export function pidAlive(pid: number, exeHint?: string): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    if (!exeHint) return true;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(exeHint);
  } catch {
    return false;
  }
}

export function startDaemon(name: string, argv: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): number {
  const running = daemonPid(name);
  if (running) return running;
  mkdirSync(labPaths.runDir, { recursive: true });
  const out = openSync(logFile(name), 'a');
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', out, out], env, cwd });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${name}: ${argv.join(' ')}`);
  writeFileSync(pidFile(name), `${child.pid}\n${argv[0]}\n`);
  return child.pid;
}

export async function stopDaemon(name: string): Promise<void> {
  const pid = daemonPid(name);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && pidAlive(pid); i++) await sleep(100);
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile(name), { force: true });
}
