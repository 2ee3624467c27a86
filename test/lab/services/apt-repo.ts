// A flat apt repository on http://10.77.0.1:8080/ for patching tests. Hosts do not have it in their
// sources; a test adds APT_REPO_LINE when it wants it.
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BRIDGE_ADDR, LAB_SRC, REPO_ROOT, labPaths } from '../paths.ts';
import { startDaemon, stopDaemon } from '../daemon.ts';
import { run } from '../sh.ts';
import { waitForPort } from './port.ts';

export const APT_REPO_URL = `http://${BRIDGE_ADDR}:8080/`;
/** A sources.list line for the lab repo (unsigned: trusted=yes). */
export const APT_REPO_LINE = `deb [trusted=yes] ${APT_REPO_URL} ./`;

export async function startAptRepo(): Promise<void> {
  mkdirSync(labPaths.aptDir, { recursive: true });
  await reindex();
  startDaemon('apt-http', [process.execPath, '--import', 'tsx', join(LAB_SRC, 'services', 'http-serve.ts'), BRIDGE_ADDR, '8080', labPaths.aptDir], process.env, REPO_ROOT);
  await waitForPort(BRIDGE_ADDR, 8080, 15_000, 'apt repo http server');
}

export const stopAptRepo = () => stopDaemon('apt-http');

/** Add .deb files to the lab repo (replacing same-named ones) and regenerate its index. */
export async function publishDebs(debs: string[], opts: { replace?: boolean } = {}): Promise<void> {
  mkdirSync(labPaths.aptDir, { recursive: true });
  if (opts.replace) for (const f of readdirSync(labPaths.aptDir)) if (f.endsWith('.deb')) rmSync(join(labPaths.aptDir, f));
  for (const d of debs) copyFileSync(d, join(labPaths.aptDir, basename(d)));
  await reindex();
}

async function reindex(): Promise<void> {
  const dir = labPaths.aptDir;
  const pkgs = (await run(['dpkg-scanpackages', '--multiversion', '.', '/dev/null'], { cwd: dir })).stdout;
  // Index files are swapped in whole: a host running apt-get update meanwhile sees old or new.
  const tmp = join(dir, '.next');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeFileSync(join(tmp, 'Packages'), pkgs);
  writeFileSync(join(tmp, 'Packages.gz'), gzipSync(pkgs));
  const release = (await run(['apt-ftparchive', '-o', 'APT::FTPArchive::Release::Origin=shipshape-lab', 'release', '.'], { cwd: tmp })).stdout;
  writeFileSync(join(tmp, 'Release'), release);
  for (const f of ['Packages', 'Packages.gz', 'Release']) renameSync(join(tmp, f), join(dir, f));
  rmSync(tmp, { recursive: true, force: true });
}
