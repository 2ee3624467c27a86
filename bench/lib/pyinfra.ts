// pyinfra 3 as a peer. It is not in Debian 12 and this machine reaches no PyPI, so the bench does
// not install it: it uses one installed by hand (bench/RESULTS.md says how), found through
// $PYINFRA (the `pyinfra` executable) or at /opt/pyinfra-venv/bin/pyinfra. Without it the bench
// leaves pyinfra out and says so.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { measure } from './measure.ts';
import type { BenchHost, FleetFiles } from './fleet.ts';
import { BENCH, RunFailed, type ToolRun } from './tools.ts';

export const PYINFRA_DEFAULT = '/opt/pyinfra-venv/bin/pyinfra';
export const W1_PYINFRA = join(BENCH, 'pyinfra', 'w1.py');
export const W2_PYINFRA = join(BENCH, 'pyinfra', 'relay.py');

/** The pyinfra executable to use, or undefined when there is none that answers `--version`. */
export function findPyinfra(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env.PYINFRA || PYINFRA_DEFAULT;
  if (!existsSync(path)) return undefined;
  return spawnSync(path, ['--version'], { timeout: 30_000 }).status === 0 ? path : undefined;
}

/** `pyinfra: v3.0b0` → `v3.0b0`. */
export function pyinfraVersion(path: string): string {
  const out = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return /v?\d+\.\d+\S*/.exec(`${out.stdout}${out.stderr}`)?.[0] ?? 'unknown';
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Tallies from pyinfra's progress lines: each operation prints `[host] Success` on a host where it
 * ran commands (a change), `[host] No changes` where it had nothing to do, `[host] Error` where it
 * failed; shorter host names are padded with spaces to the longest one's width. (v3.0b0's closing
 * table counts "Success" for both, so it cannot tell a change.)
 */
export function pyinfraTallies(output: string): { changed: number; ok: number; errors: number; hosts: number } {
  const text = output.replace(ANSI, '');
  const hosts = new Set<string>();
  let changed = 0;
  let ok = 0;
  let errors = 0;
  for (const m of text.matchAll(/^\s*\[([^\]]+)\] +(Success|No changes|Error)\b/gm)) {
    hosts.add(m[1]);
    if (m[2] === 'Success') changed++;
    else if (m[2] === 'No changes') ok++;
    else errors++;
  }
  return { changed, ok, errors, hosts: hosts.size };
}

/**
 * Tallies of a dry run (`--dry` without `-y`): pyinfra prints no per-host result lines then, only
 * its "Detected changes" table, one row per operation: `K/N (hosts)` where K hosts will change,
 * `K-M/N` when M more may change (operations under `_if`, decided at execute time), or "No hosts
 * with changes at this time". The hosts are those that printed `[host] Ready:` (their operations
 * prepared).
 */
export function pyinfraDryTallies(output: string): { changed: number; maybe: number; hosts: number; rows: number } {
  const text = output.replace(ANSI, '');
  const hosts = new Set([...text.matchAll(/^\s*\[([^\]]+)\] +Ready:/gm)].map((m) => m[1]));
  const table = text.slice(text.indexOf('--> Detected changes:'));
  let changed = 0;
  let maybe = 0;
  let rows = 0;
  if (text.includes('--> Detected changes:')) {
    for (const line of table.split('\n').slice(2)) {
      if (line.startsWith('-->')) break;
      const m = /\s(\d+)(?:-(\d+))?\/\d+ \(/.exec(line);
      if (m) {
        changed += Number(m[1]);
        maybe += Number(m[2] ?? 0);
        rows++;
      } else if (/No hosts with changes at this time/.test(line)) rows++;
    }
  }
  return { changed, maybe, hosts: hosts.size, rows };
}

/**
 * One pyinfra run: `pyinfra -y INVENTORY DEPLOY --parallel N`. `-y` executes without the prompt and
 * without the separate pass that only reports proposed changes: pyinfra at its fastest. The dry
 * run is `--dry` without `-y` (with `-y` pyinfra skips change detection, so a dry run would print
 * nothing it plans): its changes are the "Detected changes" table's, definite ones counted as
 * changed (the ones that may happen, under `_if`, are not).
 */
export async function pyinfraRun(pyinfra: string, deploy: string, files: FleetFiles, hosts: BenchHost[], opts: { check?: boolean } = {}): Promise<ToolRun> {
  const argv = [pyinfra, ...(opts.check ? [] : ['-y']), files.pyinfraInventory, deploy, '--parallel', String(Math.max(hosts.length, 1))];
  if (opts.check) argv.push('--dry');
  // No colours, no progress spinner; run from the fleet's folder (pyinfra writes pyinfra-debug.log
  // into its working directory on errors), with a home there (no ~/.ssh/config of root's).
  const env = { ...process.env, TERM: 'dumb', NO_COLOR: '1', HOME: join(files.dir, 'home') };
  const m = await measure(argv, { cwd: files.dir, env, timeoutMs: 30 * 60_000 });
  if (m.code !== 0) throw new RunFailed('pyinfra', m);
  const output = `${m.stdout}\n${m.stderr}`;
  if (opts.check) {
    const d = pyinfraDryTallies(output);
    if (d.hosts !== hosts.length || d.rows === 0) throw new RunFailed('pyinfra', { ...m, stderr: `dry run: ${d.hosts} of ${hosts.length} hosts prepared, ${d.rows} operations in its table\n${m.stderr}` });
    return { ...m, tool: 'pyinfra', changed: d.changed };
  }
  const t = pyinfraTallies(output);
  if (t.hosts !== hosts.length || t.errors) throw new RunFailed('pyinfra', { ...m, stderr: `results for ${t.hosts} of ${hosts.length} hosts, ${t.errors} error(s)\n${m.stderr}` });
  return { ...m, tool: 'pyinfra', changed: t.changed, ok: t.ok };
}
