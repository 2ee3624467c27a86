// Paths in an inventory are relative to the inventory file's folder; a leading ~ is the home folder.
import { isAbsolute, join, resolve } from 'node:path';

export function resolveInventoryPath(path: string, dir: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(dir, path);
}
