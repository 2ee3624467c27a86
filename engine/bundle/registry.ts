// When the engine runs from its bundle (engine/cli.mjs), the bundle's entry publishes every source
// file's module namespace here, keyed by its path in the repository ('engine/secret.ts'), so that
// playbooks and inventories loaded later use the running engine's own instances. Absent when the
// engine runs from source (tests under tsx).

/** Same key as engine/cli.mjs. */
const REGISTRY_KEY = Symbol.for('shipshape.engine-modules');

export interface EngineRegistry {
  /** Changes whenever the bundle is rebuilt: playbooks bundled against another build are stale. */
  build: string;
  /** Repo-relative source path -> a loader of its module namespace. */
  modules: Record<string, () => Promise<Record<string, unknown>>>;
  /** The namespaces loaded so far, which the re-exporting modules below read. */
  loaded: Record<string, Record<string, unknown>>;
}

export function engineRegistry(): EngineRegistry | undefined {
  return (globalThis as Record<symbol, EngineRegistry | undefined>)[REGISTRY_KEY];
}

/** Loads a registered source file's namespace (once) and keeps it where re-exports find it. */
export async function loadRegistered(registry: EngineRegistry, key: string): Promise<Record<string, unknown>> {
  registry.loaded[key] ??= await registry.modules[key]();
  return registry.loaded[key];
}

/** JavaScript re-exporting one loaded namespace: what an import of that source file becomes. */
export function registryModuleSource(key: string, namespace: Record<string, unknown>): string {
  const names = Object.keys(namespace).filter((n) => n !== 'default');
  const lines = [`const m = globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY.description)})].loaded[${JSON.stringify(key)}];`];
  if (names.length > 0) lines.push(`export const { ${names.join(', ')} } = m;`);
  if ('default' in namespace) lines.push('export default m.default;');
  return lines.join('\n');
}
