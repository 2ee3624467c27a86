// Where the user's code threw: the first stack frame that is neither the engine nor a package, as
// the user's own file, line and column. Bundled playbooks and inventories carry inline source maps
// (see import-user-module.ts), so the frame names the .ts file the user wrote, not the bundle.
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(import.meta.dirname, '..', '..');
/** The engine's own files, when it runs from source (tests under tsx); from the bundle they are in node_modules/.cache. */
const ENGINE = [`${REPO}${sep}engine${sep}`, `${REPO}${sep}modules${sep}`];

export interface SourcePlace {
  file: string;
  line: number;
  column: number;
}

export function thrownAt(err: unknown): SourcePlace | undefined {
  const stack = (err as Error | undefined)?.stack;
  if (typeof stack !== 'string') return undefined;
  for (const frame of stack.split('\n').slice(1)) {
    const m = /((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/.exec(frame.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (file.includes(`${sep}node_modules${sep}`) || ENGINE.some((dir) => file.startsWith(dir))) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}
