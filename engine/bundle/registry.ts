// When the engine runs from its bundle (engine/cli.mjs), the bundle's entry publishes every source
// file's module namespace here, keyed by its path in the repository ('engine/secret.ts'), so that
// playbooks and inventories loaded later use the running engine's own instances. Absent when the
// engine runs from source (tests under tsx).

/** Same key as engine/cli.mjs. */
const REGISTRY_KEY = Symbol.for('shipshape.engine-modules');

export interface EngineRegistry {
  /** Changes whenever the bundle is rebuilt: playbooks bundled against another build are stale. */
  build: string;
  /** Repo-relative source path -> its module namespace. */
  modules: Record<string, Record<string, unknown>>;
}

export function engineRegistry(): EngineRegistry | undefined {
  return (globalThis as Record<symbol, EngineRegistry | undefined>)[REGISTRY_KEY];
}

/** JavaScript re-exporting one registered namespace: what an import of that source file becomes. */
export function registryModuleSource(key: string, namespace: Record<string, unknown>): string {
  const names = Object.keys(namespace).filter((n) => n !== 'default');
  const lines = [`const m = globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY.description)})].modules[${JSON.stringify(key)}];`];
  if (names.length > 0) lines.push(`export const { ${names.join(', ')} } = m;`);
  if ('default' in namespace) lines.push('export default m.default;');
  return lines.join('\n');
}
