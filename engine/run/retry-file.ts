// The hosts a run did not finish (failed, unreachable, stopped), one name per line: what
// `--limit @FILE` reads, so the next run retries exactly them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';

/** Writes the file (default: the temp folder, named after the playbook and the run's start); returns its path. */
export function writeRetryFile(hosts: readonly string[], playbook: string, started: Date, path?: string): string {
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = resolve(path ?? join(tmpdir(), `shipshape-retry-${basename(playbook, extname(playbook))}-${stamp}-${process.pid}.txt`));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${hosts.join('\n')}\n`);
  return file;
}
