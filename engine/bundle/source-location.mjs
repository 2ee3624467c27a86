// @ts-check
// An esbuild plugin for the engine's bundle and for bundled playbooks: in a bundle, import.meta
// would name the bundle's file; each source file's import.meta.url, .dirname and .filename are
// replaced by its own location, so code that finds files next to itself keeps working.
// Plain JavaScript: engine/cli.mjs uses it before anything TypeScript can load.
import { readFileSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** @type {import('esbuild').Plugin} */
export const sourceLocation = {
  name: 'source-location',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      /** @type {Record<string, string>} */
      const values = { url: pathToFileURL(args.path).href, dirname: dirname(args.path), filename: args.path };
      const contents = text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, /** @type {string} */ k) => JSON.stringify(values[k]));
      return { contents, loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
    });
  },
};
