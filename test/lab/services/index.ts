// The bridge-side services, in start order (the apt proxy first: the image build needs it).
import { startAcng, stopAcng } from './acng.ts';
import { startPebble, stopPebble } from './pebble.ts';
import { startGit, stopGit, publishFixtureRepos } from './git.ts';
import { startAptRepo, stopAptRepo } from './apt-repo.ts';
import { publishReleases } from './releases.ts';
import { daemonPid } from '../daemon.ts';

export async function startServices(log: (m: string) => void): Promise<void> {
  await startAcng();
  await startPebble();
  await startGit();
  const repos = await publishFixtureRepos();
  if (repos.length) log(`published git fixtures: ${repos.join(', ')}`);
  await startAptRepo();
  // On the apt repo's HTTP server: the stand-in simplexmq releases (relay.ts's upstream mode).
  log(`published stand-in simplexmq releases: ${publishReleases().join(', ')}`);
}

export async function stopServices(): Promise<void> {
  await Promise.all([stopAptRepo(), stopGit(), stopPebble(), stopAcng()]);
}

export function serviceStatus(): Record<string, number | undefined> {
  return Object.fromEntries(['apt-cacher-ng', 'pebble', 'git-daemon', 'apt-http'].map((n) => [n, daemonPid(n)]));
}
