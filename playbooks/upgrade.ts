// A new simplexmq version across the relays, one host at a time: the build machine builds it (the
// same tasks as relay.ts), then each relay gets the new binaries beside the old ones, swaps them in
// with smp and xfp stopped, and must answer the version probe with the new version. A relay that
// does not gets its previous binaries back and fails, and the rollout stops there: the relays not
// yet reached stay on the old version and keep serving.
//
//   npx tsx engine run playbooks/upgrade.ts -i inventory/lab.ts -e simplexVersion=v2 --check --diff
//   npx tsx engine run playbooks/upgrade.ts -i inventory/lab.ts -e simplexVersion=v2 [-e upgradeSerial=50%]
//
// In a dry run the new binaries are not built yet: the transfers and the swap are changes whose
// checksum and version are known once built. Running it again for the same version changes nothing
// (each relay is only probed).
import { play, playbook, task } from '../engine/playbook/define.ts';
import { assert, swapBinaries, transfer } from '../modules/index.ts';
import { setting, type RelaySettings } from './relay-settings.ts';
import { buildTasks } from './relay-build.ts';

const BIN = '/usr/local/bin';
const artifact = (c: RelaySettings, name: 'smp' | 'xfp') => `${c.buildDir}/${name === 'smp' ? c.smpArtifact : c.xfpArtifact}`;

/** The new binary staged beside the installed one. */
const stage = (name: 'smp' | 'xfp') =>
  task(`${name}-server.new from the build machine`, transfer({
    from: setting((c) => c.buildHost),
    src: setting((c) => artifact(c, name)),
    dest: `${BIN}/${name}-server.new`,
    mode: '0755',
    owner: 'root',
    group: 'root',
  }));

export default playbook(
  play({
    name: 'build the new version',
    hosts: 'build',
    become: true,
    tasks: [
      task('binaries come from the build machine', assert({
        that: setting((c) => c.binarySource === 'build'),
        msg: 'upgrade.ts rolls out what the build machine builds: binarySource must be build',
      })),
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
      stage('smp'),
      stage('xfp'),
      task('swap in, start, probe the version (roll back on failure)', swapBinaries({
        binaries: [`${BIN}/smp-server`, `${BIN}/xfp-server`],
        services: ['smp', 'xfp'],
        probes: setting((c) => [
          { port: c.smpPort, binary: `${BIN}/smp-server` },
          { port: c.xfpPort, binary: `${BIN}/xfp-server` },
        ]),
        timeout: 30,
      })),
    ],
  }),
);
