// Loads a user's TypeScript or JavaScript file (a playbook, an inventory) and returns its module
// namespace. From the bundle (plain node, no tsx): esbuild bundles the file with what it imports,
// except the engine's and the modules' source files, which become the running engine's own
// instances from the registry (one Secret class, one definition per module). The result is kept
// with the stamps of its inputs, so an unchanged playbook starts without esbuild (~80 ms). From
// source (tests under tsx): a plain import.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Message, Plugin } from 'esbuild';
import { shownPath } from '../errors.ts';
import { stamp, writeAtomically } from './files.mjs';
import { sourceLocation } from './source-location.mjs';
import { engineRegistry, loadRegistered, registryModuleSource, type EngineRegistry } from './registry.ts';

/** The repository the registry's keys are relative to (this file is engine/bundle/...). */
const REPO = resolve(import.meta.dirname, '..', '..');
const CACHE = join(REPO, 'node_modules', '.cache', 'shipshape', 'user');

interface Cached {
  build: string;
  /** The bundle written for these inputs. */
  out: string;
  /** The engine's source files it imports (registry keys). */
  engine: string[];
  /** Absolute input path -> mtime:size when bundled. */
  inputs: Record<string, string>;
}

export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  const registry = engineRegistry();
  if (!registry) return import(pathToFileURL(file).href);
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const base = join(CACHE, `${basename(file).replace(/\W/g, '_')}-${createHash('sha256').update(file).digest('hex').slice(0, 12)}`);
  const previous = readCached(base);
  let current = previous && isFresh(previous, registry.build) ? previous : undefined;
  if (!current) {
    const { code, inputs, engine } = await bundle(file, registry);
    // Named by content: a file rebuilt in the same run is a new module for node, not its cache.
    const out = `${base}-${createHash('sha256').update(code).digest('hex').slice(0, 12)}.mjs`;
    current = { build: registry.build, inputs: Object.fromEntries(inputs.map((p) => [p, stamp(p)])), engine, out };
    mkdirSync(CACHE, { recursive: true });
    writeAtomically(out, code);
    writeAtomically(`${base}.json`, JSON.stringify(current));
    // One bundle per user file is kept: the cache does not grow with every edit.
    if (previous && previous.out !== out) rmSync(previous.out, { force: true });
  }
  // The engine's files the user's file imports are evaluated before it.
  for (const key of current.engine) await loadRegistered(registry, key);
  // Errors thrown in the user's code (a param function, say) point at the user's file and line.
  process.setSourceMapsEnabled(true);
  return import(pathToFileURL(current.out).href);
}

/** Made by this engine build from inputs that have not changed since, and still there. */
function isFresh(cached: Cached, build: string): boolean {
  return cached.build === build && Object.entries(cached.inputs).every(([p, s]) => stamp(p) === s) && existsSync(cached.out);
}

function readCached(base: string): Cached | undefined {
  try {
    return JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Cached;
  } catch {
    return undefined;
  }
}

async function bundle(file: string, registry: EngineRegistry): Promise<{ code: string; inputs: string[]; engine: string[] }> {
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      sourcemap: 'inline',
      // The bundle is imported from CACHE: its map's source paths are written relative to it, so
      // stack frames of the user's code name the user's file (a `when` that throws, at playbook.ts:12:5).
      outdir: CACHE,
      logLevel: 'silent',
      plugins: [engineFromRegistry(registry), sourceLocation],
    });
    const paths = Object.keys(result.metafile.inputs);
    const inputs = paths.filter((p) => !p.startsWith('engine:')).map((p) => resolve(p));
    const engine = paths.filter((p) => p.startsWith('engine:')).map((p) => p.slice('engine:'.length));
    return { code: result.outputFiles[0].text, inputs, engine };
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (!errors?.length) throw err;
    throw new UserModuleError(errors.map(located));
  }
}

/** Where esbuild found a problem in the user's files (a syntax error, an import that resolves to nothing). */
export interface SourceProblem {
  /** Absolute, when esbuild gave a place. */
  file?: string;
  line?: number;
  column?: number;
  text: string;
}

/** A user file that could not be bundled; the message reads 'file:line:column: text' for each problem. */
export class UserModuleError extends Error {
  override name = 'UserModuleError';
  constructor(readonly problems: SourceProblem[]) {
    super(problems.map((p) => `${p.file ? `${shownPath(p.file)}:${p.line}:${p.column}: ` : ''}${p.text}`).join('; '));
  }
}

function located(m: Message): SourceProblem {
  // Imports of the engine's files resolve to the registry's namespace: name them as the user wrote them.
  const text = m.text.replace(/"engine:([^"]+)"/g, '"$1"');
  if (!m.location) return { text };
  return { file: resolve(m.location.file), line: m.location.line, column: m.location.column + 1, text };
}

/** Imports of engine/ and modules/ source files resolve to the running engine's namespaces. */
function engineFromRegistry(registry: EngineRegistry): Plugin {
  return {
    name: 'engine-from-registry',
    setup(build) {
      build.onResolve({ filter: /^\.{0,2}\// }, (args) => {
        const key = relative(REPO, resolve(args.resolveDir, args.path)).split(sep).join('/');
        return key in registry.modules ? { path: key, namespace: 'engine' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'engine' }, async (args) => ({ contents: registryModuleSource(args.path, await loadRegistered(registry, args.path)), loader: 'js' }));
    },
  };
}
