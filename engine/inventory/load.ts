// loadInventory: picks the loader by file name, parses, builds, and throws every problem at once.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { importUserModule, UserModuleError } from '../bundle/import-user-module.ts';
import { thrownAt } from '../bundle/thrown-at.ts';
import { buildInventory } from './build.ts';
import { parseContext, type ParseContext } from './context.ts';
import { InventoryError } from './errors.ts';
import { parseIni } from './ini.ts';
import { parseNative } from './native.ts';
import { emptyRaw, type RawInventory } from './raw.ts';
import type { Inventory } from './types.ts';

export interface LoadOptions {
  /** Folder a relative inventory path is resolved against; default process.cwd(). */
  cwd?: string;
  /** Environment for becomePassword { env } and HOME; default process.env. */
  env?: Record<string, string | undefined>;
}

export type InventoryFormat = 'module' | 'yaml' | 'ini';

/** .ts/.mts/.js/.mjs: a module whose default export is defineInventory(...); .yml/.yaml/.json: YAML; .ini, `hosts` or no extension: Ansible INI. */
export function inventoryFormat(path: string): InventoryFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) return 'module';
  if (['.yml', '.yaml', '.json'].includes(ext)) return 'yaml';
  if (ext === '.ini' || ext === '' || basename(path) === 'hosts') return 'ini';
  return undefined;
}

export async function loadInventory(path: string, opts: LoadOptions = {}): Promise<Inventory> {
  const file = resolve(opts.cwd ?? process.cwd(), path);
  const env = opts.env ?? process.env;
  const ctx = parseContext(file, env, env.HOME ?? homedir());
  const format = inventoryFormat(file);
  if (!format) throw new InventoryError([{ file, path: '', message: 'unknown inventory format: use .ts, .js, .yml, .yaml, .ini or a file without extension (INI)' }]);
  // Parse problems do not stop the build: group, password and jump problems are reported with them.
  return buildInventory(await parse(format, file, ctx), ctx);
}

async function parse(format: InventoryFormat, file: string, ctx: ParseContext): Promise<RawInventory> {
  if (format === 'module') {
    let mod: { default?: unknown };
    try {
      mod = (await importUserModule(file)) as { default?: unknown };
    } catch (e) {
      loadProblems(e, ctx);
      return emptyRaw(file);
    }
    if (mod.default === undefined) {
      ctx.problems.add('', 'has no default export: export default defineInventory({ ... })');
      return emptyRaw(file);
    }
    return parseNative(mod.default, ctx);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    ctx.problems.add('', `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    return emptyRaw(file);
  }
  if (format === 'ini') return parseIni(text, ctx);
  const doc = parseDocument(text);
  for (const err of doc.errors) {
    // The first line only: the rest quotes the source, which may hold a password.
    const where = err.linePos ? `line ${err.linePos[0].line}:${err.linePos[0].col}` : '';
    ctx.problems.add(where, err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  }
  if (doc.errors.length) return emptyRaw(file);
  return parseNative(doc.toJS(), ctx);
}

/** A syntax error at its place (in the inventory or a file it imports); else where the file threw. */
function loadProblems(e: unknown, ctx: ParseContext): void {
  if (e instanceof UserModuleError) {
    for (const p of e.problems) {
      if (p.file) ctx.problems.list.push({ file: p.file, path: `line ${p.line}:${p.column}`, message: p.text });
      else ctx.problems.add('', `cannot load: ${p.text}`);
    }
    return;
  }
  const message = (e as Error)?.message?.split('\n')[0] ?? String(e);
  const at = thrownAt(e);
  if (at) ctx.problems.list.push({ file: at.file, path: `line ${at.line}:${at.column}`, message: `threw while the inventory loaded: ${message}` });
  else ctx.problems.add('', `cannot load: ${message}`);
}
