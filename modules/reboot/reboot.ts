// reboot: reboots the host, waits for it to come back with a new boot id, reconnects, and lets the
// play go on (the engine's reboot step, engine/run/steps/reboot.ts, does it). Always a change when it runs; `ifPathExists` makes it conditional on a file the
// package tools leave (/var/run/reboot-required), read as a fact so a dry run says the same.
import { baseFacts } from '../../engine/facts/base.ts';
import { fileFact } from '../../engine/facts/file.ts';
import { defineModule } from '../../engine/module.ts';
import type { Plan } from '../../engine/plan/types.ts';
import { Type } from '../../engine/schema.ts';

const params = Type.Object(
  {
    ifPathExists: Type.Optional(
      Type.String({ pattern: '^/', description: "Reboot only when this path exists on the host: '/var/run/reboot-required' (left by unattended-upgrades and kernel packages). Unset: always reboot." }),
    ),
    timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Seconds to wait for the host to come back with a new boot (and finish booting). Default 600.' })),
    msg: Type.Optional(Type.String({ minLength: 1, description: 'Why, for the report (e.g. "kernel update").' })),
  },
  { additionalProperties: false },
);

export const reboot = defineModule({
  name: 'reboot',
  summary: 'Reboot the host, wait until it is back with a new boot, reconnect and go on with the play.',
  doc: [
    'Schedules `systemctl reboot` two seconds ahead (systemd-run, so the command returns before the',
    'connection drops), reconnects until the host answers with a new boot id (/proc/sys/kernel/random/',
    'boot_id), then waits for the boot to finish (systemctl is-system-running --wait) before the next',
    'task. Always a change, unless `ifPathExists` names a path that is absent: then nothing happens, in',
    'the dry run as in the real run. Every fact of the host is read again after the reboot. In a dry',
    'run after an apt task that changes packages, an absent path is reported with a warning: their',
    'maintainer scripts may create it when they really run, and no dry run can know.',
    '',
    "  reboot({ ifPathExists: '/var/run/reboot-required', timeout: 900, msg: 'kernel update' })",
  ].join('\n'),
  params,
  facts: (p) => (p.ifPathExists ? [fileFact(p.ifPathExists)] : []),
  plan(p, ctx): Plan {
    if (p.ifPathExists && !ctx.facts.get(fileFact(p.ifPathExists)).exists) {
      const packages = ctx.packages.changes;
      if (packages.length === 0) return { changes: [], steps: [], msg: `no reboot needed: ${p.ifPathExists} is absent` };
      return {
        changes: [],
        steps: [],
        msg: `${p.ifPathExists} is absent now, so no reboot is planned; the packages an earlier task changes (${packages.join(', ')}) may ask for one when they really install: a dry run cannot know`,
      };
    }
    return {
      changes: [{ what: 'reboot', before: 'running', after: p.ifPathExists ? `rebooted (${p.ifPathExists} exists)` : 'rebooted' }],
      steps: [{ kind: 'reboot', timeoutS: p.timeout ?? 600 }],
      invalidates: ['*', baseFacts.key],
      ...(p.msg ? { msg: p.msg } : {}),
    };
  },
});
