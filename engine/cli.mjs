#!/usr/bin/env node
// @ts-check
// The engine's entry: `node engine/cli.mjs run PLAYBOOK -i INVENTORY` (`npx tsx engine ...` hands
// over to it). The engine runs from one esbuild bundle in plain node: loading its ~650 files
// (typebox, ajv, winston...) through tsx's loader hooks cost ~1.4 s per start, more than a whole
// converged run on one host (bench/RESULTS.md). The bundle is rebuilt whenever a source file, the
// installed packages or this file changed, so editing engine/ or modules/ needs no build step.
// Plain JavaScript on purpose: this file must start without tsx.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stamp, writeAtomically } from './bundle/files.mjs';
import { sourceLocation } from './bundle/source-location.mjs';

const HERE = fileURLToPath(import.meta.url);
const REPO = dirname(dirname(HERE));
const CACHE = join(REPO, 'node_modules', '.cache', 'shipshape');
const BUNDLE = join(CACHE, 'engine.mjs');
const STAMPS = join(CACHE, 'engine.stamps.json');
/** Every TypeScript file here is in the bundle and in the registry playbooks import from, but tests (a module's unit tests sit in its folder). */
const SOURCE_DIRS = ['engine', 'modules'];
/** engine/index.ts is the tsx launcher that starts this file: importing it would start another. */
const NOT_BUNDLED = new Set(['engine/index.ts']);
/** Same key as engine/bundle/registry.ts. */
const REGISTRY_KEY = 'shipshape.engine-modules';

/** @returns {string[]} repo-relative paths, '/'-separated, sorted */
function sourceFiles() {
  const files = [];
  for (const dir of SOURCE_DIRS) {
    for (const entry of readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })) {
      const rel = `${dir}/${entry.split(sep).join('/')}`;
      if (rel.endsWith('.ts') && !rel.endsWith('.d.ts') && !rel.endsWith('.test.ts') && !NOT_BUNDLED.has(rel)) files.push(rel);
    }
  }
  return files.sort();
}

/** What the bundle was built from: the sources, the installed packages (npm's lock in node_modules), this file, node. */
function currentStamps() {
  /** @type {Record<string, string>} */
  const stamps = { node: process.version, 'engine/cli.mjs': stamp(HERE), 'node_modules/.package-lock.json': stamp(join(REPO, 'node_modules', '.package-lock.json')) };
  const files = sourceFiles();
  for (const rel of files) stamps[rel] = stamp(join(REPO, rel));
  return { stamps, files };
}

function isFresh(/** @type {Record<string, string>} */ stamps) {
  try {
    const built = JSON.parse(readFileSync(STAMPS, 'utf8'));
    const keys = Object.keys(stamps);
    return keys.length === Object.keys(built).length && keys.every((k) => built[k] === stamps[k]);
  } catch {
    return false;
  }
}

/**
 * The bundle's entry: the CLI, and a registry of every source file as a loader (a dynamic import
 * esbuild keeps in the bundle), so only what a command uses is evaluated at start.
 */
function entrySource(/** @type {string[]} */ files, /** @type {string} */ build) {
  const modules = files.map((rel) => `${JSON.stringify(rel)}: () => import(${JSON.stringify(join(REPO, rel))})`).join(',\n  ');
  return [
    `import { main } from ${JSON.stringify(join(REPO, 'engine', 'main.ts'))};`,
    `globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY)})] = { build: ${JSON.stringify(build)}, loaded: {}, modules: {\n  ${modules}\n} };`,
    'await main(process.argv);',
    // Whatever is still open then (a socket to a host whose cable was cut, waiting for TCP to give
    // up) must not keep the finished run alive: exit once the output is flushed.
    "await new Promise((r) => process.stdout.write('', () => process.stderr.write('', r)));",
    'process.exit(process.exitCode ?? 0);',
  ].join('\n');
}

async function build(/** @type {{ stamps: Record<string, string>, files: string[] }} */ current) {
  const esbuild = await import('esbuild');
  mkdirSync(CACHE, { recursive: true });
  // Built under its final name in a folder of this process's own, so the bundle's
  // sourceMappingURL (a name relative to the bundle) names the map it will sit beside.
  const tmpDir = join(CACHE, `.build-${process.pid}`);
  mkdirSync(tmpDir, { recursive: true });
  const tmp = join(tmpDir, basename(BUNDLE));
  await esbuild.build({
    stdin: { contents: entrySource(current.files, createHash('sha256').update(JSON.stringify(current.stamps)).digest('hex').slice(0, 16)), resolveDir: REPO, sourcefile: 'engine-entry.js', loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages that find files of their own at run time stay packages: ssh2 (optional native
    // addons), esbuild (its binary; used to load playbooks).
    external: ['ssh2', 'esbuild'],
    // CommonJS dependencies (ajv, winston, handlebars) call require() for node's built-ins.
    banner: { js: "import { createRequire as __engineRequire } from 'node:module'; const require = __engineRequire(import.meta.url);" },
    outfile: tmp,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'error',
    plugins: [sourceLocation],
  });
  // Renamed into place, so a concurrent start never imports half a file; the map first.
  renameSync(`${tmp}.map`, `${BUNDLE}.map`);
  renameSync(tmp, BUNDLE);
  rmSync(tmpDir, { recursive: true, force: true });
  writeAtomically(STAMPS, JSON.stringify(current.stamps));
}

const current = currentStamps();
if (!isFresh(current.stamps)) {
  try {
    await build(current);
  } catch (err) {
    process.stderr.write(`engine: could not build the engine bundle in ${relative(process.cwd(), CACHE) || CACHE}: ${/** @type {Error} */ (err).message}\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(BUNDLE).href);
