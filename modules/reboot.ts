// reboot: reboots the host, waits for it to come back with a new boot id, reconnects, and lets the
// play go on. Always a change when it runs; `ifPathExists` makes it conditional on a file the
// package tools leave (/var/run/reboot-required), read as a fact so a dry run says the same.
import { aptChangesFact } from '../engine/facts/apt.ts';
import { fileFact } from '../engine/facts/file.ts';
import { defineModule } from '../engine/module.ts';
import type { LocalIO, LocalStep, Plan } from '../engine/plan/types.ts';
import { shellJoin } from '../engine/quote.ts';
import { Type } from '../engine/schema.ts';

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

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';
/** Returns at once; systemd reboots two seconds later, after this command and its SSH channel are done. */
export const REBOOT_ARGV = ['systemd-run', '--quiet', '--on-active=2', '--timer-property=AccuracySec=100ms', 'systemctl', 'reboot'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bootId(io: LocalIO): Promise<string> {
  const r = await io.exec(BOOT_ID, { timeoutMs: 15_000 });
  const id = r.stdout.toString().trim();
  if (r.code !== 0 || !id) throw new Error(`cannot read the boot id (exit ${r.code}): ${r.stderr.toString().trim()}`);
  return id;
}

function rebootStep(host: string, timeoutS: number): LocalStep {
  return {
    kind: 'local',
    describe: `reboot ${host} and wait for it`,
    async run(io) {
      const before = await bootId(io);
      const r = await io.exec(shellJoin(REBOOT_ARGV), { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`could not schedule the reboot (exit ${r.code}): ${r.stderr.toString().trim()}`);
      const end = Date.now() + timeoutS * 1000;
      let last = 'no answer yet';
      // Reconnect until the host answers with another boot id: a reconnection made before the
      // reboot went through still sees the old boot, and is dropped and made again.
      for (;;) {
        await sleep(2000);
        const left = end - Date.now();
        if (left <= 0) throw new Error(`${host} did not come back with a new boot within ${timeoutS} s (${last})`);
        try {
          await io.reconnect(left);
          const after = await bootId(io);
          if (after !== before) break;
          last = 'still the boot from before the reboot';
        } catch (err) {
          last = (err as Error).message;
        }
      }
      // Let the boot finish (services started) before the next task; degraded is still booted.
      const left = Math.max(1, Math.floor((end - Date.now()) / 1000));
      await io.exec(shellJoin(['timeout', String(left), 'systemctl', 'is-system-running', '--wait']), { timeoutMs: (left + 10) * 1000 }).catch(() => undefined);
      return true;
    },
  };
}

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
  facts: (p) => (p.ifPathExists ? [fileFact(p.ifPathExists), aptChangesFact] : []),
  plan(p, ctx): Plan {
    if (p.ifPathExists && !ctx.facts.get(fileFact(p.ifPathExists)).exists) {
      const packages = ctx.facts.get(aptChangesFact);
      if (packages.length === 0) return { changes: [], steps: [], msg: `no reboot needed: ${p.ifPathExists} is absent` };
      return {
        changes: [],
        steps: [],
        msg: `${p.ifPathExists} is absent now, so no reboot is planned; the packages an earlier task changes (${packages.join(', ')}) may ask for one when they really install: a dry run cannot know`,
      };
    }
    return {
      changes: [{ what: 'reboot', before: 'running', after: p.ifPathExists ? `rebooted (${p.ifPathExists} exists)` : 'rebooted' }],
      steps: [rebootStep(ctx.host, p.timeout ?? 600)],
      invalidates: ['*', 'base'],
      ...(p.msg ? { msg: p.msg } : {}),
    };
  },
});
