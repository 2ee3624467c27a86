// Fleet patching: apt upgrade in rolling batches (25% of the hosts at a time by default, or
// -e patchSerial=N / N%), a reboot where a package asked for one (/var/run/reboot-required), and the
// next batch only once the batch's hosts answer on SSH and, for relays, on the SMP and XFP ports.
// A host that fails stops the rollout (maxFailPercentage: 0).
//
//   npx tsx engine run playbooks/patch.ts -i inventory/lab.ts [-e patchSerial=50%] [-e patchUpgrade=full]
import { play, playbook, task } from '../engine/playbook/define.ts';
import { apt, reboot, waitFor } from '../modules/index.ts';
import type { HostContext } from '../engine/module.ts';
import { setting } from './relay-settings.ts';

const isRelay = (ctx: HostContext) => ctx.groups.includes('relays');

export default playbook(
  play({
    name: 'patch the fleet',
    hosts: 'build:relays',
    become: true,
    serial: (vars) => (vars.patchSerial === undefined ? '25%' : (vars.patchSerial as number | string)),
    maxFailPercentage: 0,
    tasks: [
      task('upgrade packages', apt({
        updateCache: true,
        upgrade: (ctx) => (ctx.vars.patchUpgrade === 'full' ? 'full' : 'safe'),
      })),
      task('reboot when a package asks for it', reboot({ ifPathExists: '/var/run/reboot-required', timeout: 600, msg: 'a package asked for a reboot' })),
      task('SSH answers', waitFor({ port: setting((c) => c.sshPort), from: 'controller', timeout: 300 })),
      task('smp answers', waitFor({ port: setting((c) => c.smpPort), from: 'controller', timeout: 120 }), { when: isRelay }),
      task('xfp answers', waitFor({ port: setting((c) => c.xfpPort), from: 'controller', timeout: 120 }), { when: isRelay }),
    ],
  }),
);
