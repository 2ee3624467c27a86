// @ts-check
// File helpers of the engine's bundle cache, shared by engine/cli.mjs (which must start without
// TypeScript) and the playbook loader: a file's stamp, and a write that never shows half a file.
import { renameSync, statSync, writeFileSync } from 'node:fs';

/** mtime:size, or 'missing': what says a bundle's input changed (an edit or a checkout moves both or one). */
export function stamp(/** @type {string} */ path) {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return 'missing';
  }
}

/** Written beside the target and renamed over it: a concurrent start never reads half a file. */
export function writeAtomically(/** @type {string} */ path, /** @type {string} */ text) {
  writeFileSync(`${path}.${process.pid}.tmp`, text);
  renameSync(`${path}.${process.pid}.tmp`, path);
}
