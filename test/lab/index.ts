// The lab's API for tests, benchmarks and the demo (the CLI in cli.ts is a thin layer over it).
export { labUp, type UpOptions } from './up.ts';
export { labDown } from './down.ts';
export { labStatus, type LabStatus, type HostStatus } from './status.ts';
export { resetHost, resetHosts, killLabHost as killHost, cutHost, healHost, rebootLabHost as rebootHost } from './faults.ts';
export { labPaths } from './paths.ts';
export { sshRun, hostAddress, type SshOptions } from './ssh.ts';
export { readPassword as becomePassword } from './secrets.ts';
export { publishGitRepo, gitUrl, type PublishGitOptions } from './services/git.ts';
export { publishDebs, APT_REPO_URL, APT_REPO_LINE } from './services/apt-repo.ts';
export { publishReleases, LAB_RELEASES, LAB_RELEASE_URL } from './services/releases.ts';
export { ACME_DIRECTORY } from './services/pebble.ts';
export { findLeftovers, isClean, type Leftovers } from './leftovers.ts';
export { readState as labState, type LabHost, type LabState } from './state.ts';
