// A new simplexmq version across the relays, one host at a time. Each relay gets the new binaries
// beside the old ones, swaps them in with its servers stopped, and must answer the health check;
// a relay that does not gets its previous binaries back and fails, and the rollout stops there:
// the relays not yet reached stay on the old version and keep serving.
// - upstream mode (the default): the new release binaries, downloaded and checked against the
//   sha256 the inventory pins for that version; the servers stopped through their units (the stop
//   script backs up the store log), and the health check is `SERVER -v` naming the new version and
//   each server's TLS port presenting the CA of its fingerprint file, unchanged by the upgrade.
// - guide mode: the build machine builds the version (the same tasks as relay.ts), and the check
//   is the guide servers' VERSION line.
//
//   npx tsx engine run playbooks/upgrade.ts -i inventory/example.ts -e simplexVersion=v6.5.2 --check --diff
//   npx tsx engine run playbooks/upgrade.ts -i inventory/lab.ts -e simplexVersion=v2 [-e upgradeSerial=50%] [-e upgradeTimeout=60]
//
// Then set simplexVersion in the inventory to the new version: relay.ts installs the inventory's.
// In the guide's dry run the new binaries are not built yet: the transfers and the swap are changes
// whose checksum and version are known once built. Running it again for the same version changes
// nothing (each relay is only probed).
import { play, playbook, task } from '../engine/playbook/define.ts';
import type { HostContext } from '../engine/module.ts';
import { assert, getUrl, swapBinaries, transfer } from '../modules/index.ts';
import { isGuide, isUpstream, relaySettings, setting, type RelaySettings } from './relay-settings.ts';
import { buildTasks } from './relay-build.ts';
import { checkRelease, hostPinProblem, releaseBinary, SERVERS, versionLine } from './relay-release.ts';
import { BIN, LAYOUT, wanted } from './relay-upstream.ts';

const artifact = (c: RelaySettings, name: 'smp' | 'xfp') => `${c.buildDir}/${name === 'smp' ? c.smpArtifact : c.xfpArtifact}`;
const s = (ctx: HostContext): RelaySettings => relaySettings(ctx);
/** Seconds a relay has to pass its health check after a start: -e upgradeTimeout=N, default 30. */
const healthTimeout = (ctx: HostContext) => {
  const n = Number(ctx.vars.upgradeTimeout ?? 30);
  if (!(n > 0)) throw new Error("variable 'upgradeTimeout' must be a positive number of seconds");
  return n;
};

/** The guide's new binary staged beside the installed one. */
const stage = (name: 'smp' | 'xfp') =>
  task(`${name}-server.new from the build machine`, transfer({
    from: setting((c) => c.buildHost),
    src: setting((c) => artifact(c, name)),
    dest: `${BIN}/${name}-server.new`,
    mode: '0755',
    owner: 'root',
    group: 'root',
  }), { when: isGuide });

/** Upstream: the new release binary staged beside the installed one, checked by its pinned sha256. */
const stageRelease = (server: (typeof SERVERS)[number]) =>
  task(`${server}.new, the release binary`, getUrl({
    url: (ctx) => releaseBinary(s(ctx), ctx.facts, server).url,
    sha256: (ctx) => releaseBinary(s(ctx), ctx.facts, server).sha256,
    dest: `${BIN}/${server}.new`,
    mode: '0755',
    owner: 'root',
    group: 'root',
  }), { when: isUpstream });

export default playbook(
  play({
    name: 'build the new version',
    // The guide's build machine, when the inventory has one (see isBuildMachine in relay-build.ts).
    hosts: 'all:!relays',
    become: true,
    tasks: [
      task('binaries come from the build machine', assert({
        that: setting((c) => c.binarySource === 'build'),
        msg: 'upgrade.ts rolls out what the build machine builds: binarySource must be build',
      }), { when: isGuide }),
      ...buildTasks(),
    ],
  }),

  play({
    name: 'roll the new version across the relays',
    hosts: 'relays',
    become: true,
    // One relay at a time, or -e upgradeSerial=N / N%. The first failure stops the rollout.
    serial: (vars) => (vars.upgradeSerial === undefined ? 1 : (vars.upgradeSerial as number | string)),
    maxFailPercentage: 0,
    tasks: [
      // Before any host is touched: the new version and its checksums are pinned in the inventory.
      task('the release is pinned', assert({ that: setting((c) => checkRelease(c)) }), { when: isUpstream }),
      task("this host's release binaries are pinned", assert({
        that: (ctx) => ({ 'its binaries are pinned': hostPinProblem(s(ctx), ctx.facts) === undefined }),
        msg: (ctx) => hostPinProblem(s(ctx), ctx.facts) ?? 'pinned',
      }), { when: isUpstream }),
      stage('smp'),
      stage('xfp'),
      stageRelease('smp-server'),
      stageRelease('xftp-server'),
      task('swap in, start, probe the version (roll back on failure)', swapBinaries({
        binaries: [`${BIN}/smp-server`, `${BIN}/xfp-server`],
        services: ['smp', 'xfp'],
        probes: setting((c) => [
          { port: c.smpPort, binary: `${BIN}/smp-server` },
          { port: c.xfpPort, binary: `${BIN}/xfp-server` },
        ]),
        timeout: 30,
      }), { when: isGuide }),
      task('swap in through the units, start, check version and identity (roll back on failure)', swapBinaries({
        binaries: SERVERS.map((server) => `${BIN}/${server}`),
        services: [...SERVERS],
        probes: (ctx) =>
          SERVERS.map((server) => ({
            port: wanted(s(ctx), server).port,
            binary: `${BIN}/${server}`,
            expectVersion: versionLine(server, s(ctx).simplexVersion ?? ''),
            fingerprint: `${LAYOUT[server].etc}/fingerprint`,
          })),
        timeout: healthTimeout,
      }), { when: isUpstream }),
    ],
  }),
);
