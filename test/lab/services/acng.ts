// apt-cacher-ng on the bridge: the hosts' only way to Debian's archive, and the image build's too,
// so the mirror is hit once per package. Its own minimal config: Debian's default one remaps
// deb.debian.org to another mirror host, which the lab must not do.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BRIDGE_ADDR, CACHE_DIR, labPaths } from '../paths.ts';
import { daemonPid, logFile, startDaemon, stopDaemon } from '../daemon.ts';
import { readFileSync } from 'node:fs';
import { waitForPort } from './port.ts';

export async function startAcng(): Promise<void> {
  const conf = join(labPaths.runDir, 'acng');
  const cache = join(CACHE_DIR, 'acng');
  const logs = join(labPaths.runDir, 'acng-log');
  for (const d of [conf, cache, logs]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(conf, 'acng.conf'),
    [
      `CacheDir: ${cache}`,
      `LogDir: ${logs}`,
      `SupportDir: /usr/lib/apt-cacher-ng`,
      `BindAddress: ${BRIDGE_ADDR}`,
      `Port: 3142`,
      `SocketPath: ${join(labPaths.runDir, 'acng.socket')}`,
      `PidFile: ${join(labPaths.runDir, 'acng.daemon-pid')}`,
      `ForeGround: 1`,
      `ReportPage: acng-report.html`,
      `ExThreshold: 4`,
      '',
    ].join('\n'),
  );
  startDaemon('apt-cacher-ng', ['/usr/sbin/apt-cacher-ng', '-c', conf]);
  await waitForPort(BRIDGE_ADDR, 3142, 10_000, 'apt-cacher-ng');
  await new Promise((r) => setTimeout(r, 200));
  // Another apt-cacher-ng bound to *:3142 (Debian's own daemon) would answer in its place.
  if (!daemonPid('apt-cacher-ng')) {
    throw new Error(`apt-cacher-ng exited (is another one bound to port 3142?): ${readFileSync(logFile('apt-cacher-ng'), 'utf8').slice(-500)}`);
  }
}

export const stopAcng = () => stopDaemon('apt-cacher-ng');
