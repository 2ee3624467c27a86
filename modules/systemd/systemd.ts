// systemd: a unit started or stopped, enabled or disabled, masked or not, and systemd's own
// daemon-reload/daemon-reexec. The unit's state comes from `systemctl show`; the files of the unit
// (predicted when an earlier task writes them) let a dry run plan a unit that does not exist yet.
import { fileFact } from '../../engine/facts/file.ts';
import { EVERY_USER_PROCESSES } from '../../engine/facts/user.ts';
import type { Fact } from '../../engine/facts/types.ts';
import { dropInDirs, unitFact, unitFilePaths, unitName, type UnitFact } from '../../engine/facts/unit.ts';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type FileEffect, type Step } from '../../engine/plan/types.ts';
import { Choice, Type, UnitName } from '../../engine/schema.ts';

const params = Type.Object(
  {
    unit: Type.Optional(UnitName({ description: "Unit name, e.g. 'nginx' or 'relay.service' ('.service' is added when no unit suffix is given)." })),
    state: Type.Optional(
      Choice(['started', 'stopped', 'restarted', 'reloaded'], {
        description:
          'started/stopped: running or not (changed only when it differs). restarted: always restarted, reloaded: always reloaded (started when not running): both report changed on every run, so use them in handlers.',
      }),
    ),
    enabled: Type.Optional(Type.Boolean({ description: 'Started at boot (systemctl enable/disable). Static and generated units have nothing to enable: left alone.' })),
    masked: Type.Optional(Type.Boolean({ description: 'Masked: cannot be started at all (systemctl mask/unmask).' })),
    daemonReload: Type.Optional(
      Type.Boolean({
        description:
          'Run systemctl daemon-reload first when it is needed: systemd reports NeedDaemonReload for the unit, or an earlier task of this run wrote its unit file. Reported as a change only then. Without unit: always run, never a change.',
      }),
    ),
    daemonReexec: Type.Optional(Type.Boolean({ description: 'Run systemctl daemon-reexec first (after upgrading systemd). An action: never reported as a change.' })),
  },
  { additionalProperties: false },
);

const ACTIVE = new Set(['active', 'activating', 'reloading']);
const ENABLED = new Set(['enabled', 'enabled-runtime']);

export const systemd = defineModule({
  name: 'systemd',
  summary: 'Start, stop, restart, enable or mask a systemd unit; daemon-reload when a unit file changed.',
  doc: [
    'Reads the unit with `systemctl show` (LoadState, ActiveState, UnitFileState, NeedDaemonReload)',
    'and changes only what differs: systemctl unmask, enable/disable, start/stop, mask, in that order,',
    'after a daemon-reload when one is due. A unit that systemd does not know is an error, unless its',
    'file exists or an earlier task of this run writes it (copy or template to',
    '/etc/systemd/system/NAME): then it is planned as a new unit, loaded by a daemon-reload first. That',
    'makes a dry run on a fresh host plan the same as the real run. A unit from a package an earlier apt',
    'task installs is loaded in the dry run (the package preview ships it), but whether its maintainer',
    'scripts start or enable it is not known: such a task is reported unknown, naming the package (a',
    'restart or reload is a change whatever the state); the real run plans against the installed unit.',
    'state restarted and reloaded act on every run: keep them in',
    'handlers (notified by the task that changes the configuration), or the second run is not quiet.',
    '',
    "  copy({ dest: '/etc/systemd/system/relay.service', src: 'files/relay.service' })",
    "  systemd({ unit: 'relay', state: 'started', enabled: true, daemonReload: true })",
    "  systemd({ unit: 'apache2', state: 'stopped', masked: true })",
  ].join('\n'),
  params,
  prepare(p) {
    if (p.unit === undefined) {
      if (p.state !== undefined || p.enabled !== undefined || p.masked !== undefined) throw new PrepareError('state, enabled and masked need a unit', 'unit');
      if (!p.daemonReload && !p.daemonReexec) throw new PrepareError('nothing to do: give a unit, daemonReload or daemonReexec', 'unit');
    }
    if (p.masked === true && (p.enabled === true || (p.state !== undefined && p.state !== 'stopped'))) {
      throw new PrepareError(`a masked unit cannot be ${p.enabled ? 'enabled' : p.state}`, 'masked');
    }
  },
  facts(p) {
    if (p.unit === undefined) return [];
    return [unitFact(p.unit), ...unitFilePaths(p.unit).map((path) => fileFact(path))] as Fact[];
  },
  plan(p, { facts, packages, files: marks }) {
    const steps: Step[] = [];
    const changes: Change[] = [];
    if (p.daemonReexec) steps.push({ kind: 'run', argv: ['systemctl', 'daemon-reexec'] });
    if (p.unit === undefined) {
      if (p.daemonReload) steps.push({ kind: 'run', argv: ['systemctl', 'daemon-reload'] });
      return { changes, steps };
    }
    const name = unitName(p.unit);
    // A restart or reload acts whatever the unit's state: a dry run that cannot know the state of a
    // unit a package brings (its scripts may start it) still knows the task changes something.
    const always = p.state === 'restarted' || p.state === 'reloaded';
    const doubt = facts.doubt?.(unitFact(p.unit));
    if (always && doubt !== undefined && p.enabled === undefined && p.masked === undefined) {
      return {
        changes: [{ what: 'state', before: '(state known once its package is installed)', after: p.state }],
        steps: [{ kind: 'run', argv: ['systemctl', p.state === 'restarted' ? 'restart' : 'reload-or-restart', '--', name] }],
      };
    }
    const observed = facts.get(unitFact(p.unit));
    const files = unitFilePaths(p.unit).map((path) => ({ path, fact: facts.get(fileFact(path)), written: marks.written(path) }));
    const present = files.filter((f) => f.fact.exists);
    const written = present.filter((f) => f.written);
    // Drop-ins an earlier task wrote or removed: their names are not known, their folder is.
    const dropIns = dropInDirs(p.unit).filter((d) => marks.writtenIn(d));

    let unit: UnitFact = observed;
    let reload: string | undefined;
    if (observed.loadState === 'not-found') {
      if (present.length > 0) {
        // The file is there (or an earlier task writes it): systemd loads it after a daemon-reload.
        const content = present[0]!.fact.content;
        const installable = content === undefined || /^\s*\[Install\]/m.test(content);
        unit = { ...observed, loadState: 'loaded', activeState: 'inactive', subState: 'dead', unitFileState: installable ? 'disabled' : 'static', fragmentPath: present[0]!.path };
        reload = written.length > 0 ? `${written[0]!.path} written by an earlier task` : `${present[0]!.path} not loaded yet`;
      } else {
        const wantsIt = p.masked === false || p.enabled === true || (p.state !== undefined && p.state !== 'stopped');
        const installs = packages.installs;
        if (!wantsIt && installs.length > 0 && p.masked !== true) {
          // Issue 16 defect 10: a package an earlier task installs may ship the unit and start it;
          // stopping or disabling it is then a change no dry run can rule out (a real run reads it).
          return {
            changes: [],
            steps: [],
            unknown: `${name} is not on the host yet; an earlier task installs ${installs.join(', ')}, which may ship and start it: whether it must be stopped or disabled is known only once installed`,
          };
        }
        if (!wantsIt) {
          // Nothing to stop or disable; masking a unit without a file is allowed (a link to /dev/null).
          unit = { ...observed, unitFileState: 'disabled' };
        } else {
          if (installs.length > 0) {
            // Only a dry run gets here (a real run read the unit again after the install): say so; a
            // real run that still finds no unit fails on the check. A restart or reload acts on every
            // run, so it is a change whatever the package does.
            if (p.state === 'restarted' || p.state === 'reloaded') {
              return {
                changes: [{ what: 'state', before: `not on the host yet (from ${installs.join(', ')})`, after: p.state }],
                steps: [{ kind: 'run', argv: ['systemctl', p.state === 'restarted' ? 'restart' : 'reload-or-restart', '--', name] }],
              };
            }
            return {
              changes: [],
              steps: [{ kind: 'run', argv: ['systemctl', 'cat', '--', name] }],
              unknown: `${name} is not on the host yet; an earlier task installs ${installs.join(', ')}, which may ship it: its state is known only once installed`,
            };
          }
          throw new PlanError(
            `unit ${name} not found: systemd does not know it and there is no unit file in ${unitFilePaths(p.unit).join(', ')} (install its package or write the file in an earlier task)`,
          );
        }
      }
    } else if (observed.needDaemonReload || observed.dropInsChanged || written.length > 0 || dropIns.length > 0) {
      if (p.daemonReload) {
        reload =
          written.length > 0 ? `${written[0]!.path} written by an earlier task`
          : dropIns.length > 0 ? `a drop-in in ${dropIns[0]} written by an earlier task`
          : observed.needDaemonReload ? 'systemd reports NeedDaemonReload=yes'
          : 'drop-ins on disk are not the ones systemd loaded';
      }
    }

    let settled: FileEffect | undefined;
    if (reload !== undefined) {
      changes.push({ what: 'daemon-reload', before: reload, after: 'reloaded' });
      steps.push({ kind: 'run', argv: ['systemctl', 'daemon-reload'] });
      unit = { ...unit, needDaemonReload: false, dropInsChanged: false };
      // The reload loaded what earlier tasks wrote: a later systemd task has nothing left to reload.
      settled = { settles: { written: written.map((f) => f.path), writtenIn: dropIns } };
    }

    let masked = unit.loadState === 'masked' || unit.unitFileState === 'masked';
    if (masked && p.masked !== false && (p.enabled === true || (p.state !== undefined && p.state !== 'stopped'))) {
      throw new PlanError(`unit ${name} is masked: it cannot be ${p.enabled === true ? 'enabled' : p.state} (set masked: false to unmask it)`);
    }
    if (masked && p.masked === false) {
      changes.push({ what: 'masked', before: true, after: false });
      steps.push({ kind: 'run', argv: ['systemctl', 'unmask', '--', name] });
      // What remains once unmasked is the unit's own file and any enablement links: assume disabled.
      unit = { ...unit, loadState: 'loaded', unitFileState: 'disabled' };
      masked = false;
    }

    if (p.enabled !== undefined && !masked) {
      const isEnabled = ENABLED.has(unit.unitFileState);
      const manageable = isEnabled || unit.unitFileState === 'disabled';
      if (manageable && isEnabled !== p.enabled) {
        changes.push({ what: 'enabled', before: isEnabled, after: p.enabled });
        steps.push({ kind: 'run', argv: ['systemctl', p.enabled ? 'enable' : 'disable', '--', name] });
        unit = { ...unit, unitFileState: p.enabled ? 'enabled' : 'disabled' };
      }
    }

    const active = ACTIVE.has(unit.activeState);
    const setActive = (verb: string, to: string, state: string) => {
      changes.push({ what: 'state', before: unit.activeState, after: to });
      steps.push({ kind: 'run', argv: ['systemctl', verb, '--', name] });
      unit = { ...unit, activeState: state, subState: state === 'active' ? 'running' : 'dead' };
    };
    let msg: string | undefined;
    switch (p.state) {
      case 'started':
        // systemd skips starting a unit whose conditions do not hold (systemctl start succeeds): it
        // is as started as it can be; starting it on every run would be a change every run.
        if (!active && unit.conditionsFail?.length && reload === undefined) msg = `${name} is not running: systemd skips it, its condition ${unit.conditionsFail.join(', ')} does not hold`;
        else if (!active) setActive('start', 'active', 'active');
        break;
      case 'stopped':
        if (active) setActive('stop', 'inactive', 'inactive');
        break;
      case 'restarted':
        setActive(active ? 'restart' : 'start', active ? 'restarted' : 'active', 'active');
        break;
      case 'reloaded':
        setActive(active ? 'reload' : 'start', active ? 'reloaded' : 'active', 'active');
        break;
    }

    if (p.masked === true && !masked) {
      changes.push({ what: 'masked', before: false, after: true });
      steps.push({ kind: 'run', argv: ['systemctl', 'mask', '--', name] });
      unit = { ...unit, loadState: 'masked', unitFileState: 'masked' };
    }

    if (changes.length === 0) return { changes: [], steps, ...(msg ? { msg } : {}) };
    // Starting or stopping a unit changes which processes run as its user (a user removed next).
    const procs = steps.some((st) => st.kind === 'run' && ['start', 'stop', 'restart', 'reload', 'mask'].includes(st.argv[1]!)) ? [EVERY_USER_PROCESSES] : [];
    return { changes, steps, after: predictions(predict(unitFact(name), unit)), ...(settled ? { files: settled } : {}), ...(procs.length ? { invalidates: procs } : {}) };
  },
});
