// systemd: unit files and drop-ins written by earlier tasks, mask/unmask/enable from several
// starting states, template instances. The demo unit writes what it was started with to /run, so
// the read-back shows the configuration the running process really got.
import { handler, task } from '../../../../engine/playbook/define.ts';
import { copy } from '../../../../modules/copy/copy.ts';
import { file } from '../../../../modules/file/file.ts';
import { systemd } from '../../../../modules/systemd/systemd.ts';
import { table } from '../case.ts';

const UNIT = '/etc/systemd/system/ss-conv.service';
const DROPIN = '/etc/systemd/system/ss-conv.service.d/override.conf';
const unitFile = (what = 'ss-conv') =>
  `[Unit]\nDescription=${what}\n\n[Service]\nEnvironment=GREETING=default\nExecStart=/bin/sh -c "echo \${GREETING} > /run/${what}; exec sleep infinity"\n\n[Install]\nWantedBy=multi-user.target\n`;
const dropIn = (greeting: string) => `[Service]\nEnvironment=GREETING=${greeting}\n`;
/** The unit file in place, loaded and running (and enabled when asked), before the runs. */
const running = (opts: { enabled?: boolean; dropIn?: string } = {}) =>
  [
    `printf '%s' '${unitFile()}' > ${UNIT}`,
    ...(opts.dropIn ? [`mkdir -p ${UNIT}.d`, `printf '%s' '${dropIn(opts.dropIn)}' > ${DROPIN}`] : []),
    'systemctl daemon-reload',
    `systemctl ${opts.enabled ? 'enable --now' : 'start'} ss-conv`,
  ].join('\n');
const state = "systemctl show -p ActiveState,UnitFileState,LoadState ss-conv | sort; cat /run/ss-conv 2>/dev/null || echo 'not started'";
const restart = handler('restart ss-conv', systemd({ unit: 'ss-conv', state: 'restarted', daemonReload: true }));

export const systemdCases = table(
  {
    name: 'systemd: a unit file written by copy, started and enabled on a fresh host',
    tasks: [
      task('unit file', copy({ dest: UNIT, content: unitFile() })),
      task('unit', systemd({ unit: 'ss-conv', state: 'started', enabled: true, daemonReload: true })),
    ],
    changed: ['unit file', 'unit'],
    readBack: state,
    want: 'ActiveState=active\nLoadState=loaded\nUnitFileState=enabled\ndefault\n',
  },
  {
    name: 'systemd: a new drop-in, daemonReload, then the restart handler runs with it (defect 1)',
    prepare: running(),
    tasks: [
      task('drop-in folder', file({ path: `${UNIT}.d`, state: 'directory' })),
      task('drop-in', copy({ dest: DROPIN, content: dropIn('hello') }), { notify: 'restart ss-conv' }),
      task('unit', systemd({ unit: 'ss-conv', state: 'started', daemonReload: true })),
    ],
    handlers: [restart],
    changed: ['drop-in folder', 'drop-in', 'unit', 'handler restart ss-conv'],
    readBack: `systemctl show -p DropInPaths ss-conv; ${state}`,
    want: `DropInPaths=${DROPIN}\nActiveState=active\nLoadState=loaded\nUnitFileState=disabled\nhello\n`,
  },
  {
    name: 'systemd: an edited drop-in that was loaded: reloaded and restarted in the same run (defect 1)',
    prepare: running({ dropIn: 'old' }),
    tasks: [
      task('drop-in', copy({ dest: DROPIN, content: dropIn('new') }), { notify: 'restart ss-conv' }),
      task('unit', systemd({ unit: 'ss-conv', state: 'started', daemonReload: true })),
    ],
    handlers: [restart],
    changed: ['drop-in', 'unit', 'handler restart ss-conv'],
    readBack: state,
    want: 'ActiveState=active\nLoadState=loaded\nUnitFileState=disabled\nnew\n',
  },
  {
    name: 'systemd: a drop-in made by hand and never loaded is loaded by daemonReload (defect 1)',
    prepare: `${running()}\nmkdir -p ${UNIT}.d; printf '%s' '${dropIn('manual')}' > ${DROPIN}`,
    tasks: [task('unit', systemd({ unit: 'ss-conv', state: 'started', daemonReload: true }))],
    changed: ['unit'],
    // Loaded, not applied: the running process keeps what it started with until it is restarted.
    readBack: `systemctl show -p DropInPaths ss-conv; cat /run/ss-conv`,
    want: `DropInPaths=${DROPIN}\ndefault\n`,
  },
  {
    name: 'systemd: an enabled running unit stopped and disabled',
    prepare: running({ enabled: true }),
    tasks: [task('unit', systemd({ unit: 'ss-conv', state: 'stopped', enabled: false }))],
    changed: ['unit'],
    readBack: "systemctl show -p ActiveState,UnitFileState ss-conv | sort",
    want: 'ActiveState=inactive\nUnitFileState=disabled\n',
  },
  {
    name: 'systemd: a masked package-style unit (in /lib) unmasked, enabled and started',
    prepare: `printf '%s' '${unitFile('ss-pkg')}' > /lib/systemd/system/ss-pkg.service && systemctl daemon-reload && systemctl mask ss-pkg`,
    tasks: [task('unmask', systemd({ unit: 'ss-pkg', state: 'started', masked: false, enabled: true }))],
    changed: ['unmask'],
    readBack: "systemctl show -p ActiveState,UnitFileState ss-pkg | sort; cat /run/ss-pkg",
    want: 'ActiveState=active\nUnitFileState=enabled\ndefault\n',
  },
  {
    name: 'systemd: a masked unit stays masked and stopped',
    prepare: `printf '%s' '${unitFile('ss-pkg')}' > /lib/systemd/system/ss-pkg.service && systemctl daemon-reload && systemctl start ss-pkg`,
    tasks: [task('mask', systemd({ unit: 'ss-pkg', state: 'stopped', masked: true }))],
    changed: ['mask'],
    readBack: "systemctl show -p ActiveState,LoadState,UnitFileState ss-pkg | sort",
    want: 'ActiveState=inactive\nLoadState=masked\nUnitFileState=masked\n',
  },
  {
    name: 'systemd: a template unit written by copy, two instances started',
    tasks: [
      task('template unit', copy({ dest: '/etc/systemd/system/ss-inst@.service', content: '[Unit]\nDescription=instance %i\n\n[Service]\nExecStart=/bin/sh -c "echo %i > /run/ss-inst-%i; exec sleep infinity"\n' })),
      task('a', systemd({ unit: 'ss-inst@a', state: 'started', daemonReload: true })),
      task('b', systemd({ unit: 'ss-inst@b.service', state: 'started', daemonReload: true })),
    ],
    changed: ['template unit', 'a', 'b'],
    readBack: 'systemctl is-active ss-inst@a ss-inst@b; cat /run/ss-inst-a /run/ss-inst-b',
    want: 'active\nactive\na\nb\n',
  },
  {
    name: 'systemd: a unit whose condition fails is started once; the next run finds it skipped by systemd',
    tasks: [
      task('unit file', copy({ dest: '/etc/systemd/system/ss-cond.service', content: '[Unit]\nDescription=conditional\nConditionPathExists=/srv/ss-cond-go\n\n[Service]\nExecStart=/bin/sleep infinity\n' })),
      task('unit', systemd({ unit: 'ss-cond', state: 'started', daemonReload: true })),
    ],
    changed: ['unit file', 'unit'],
    readBack: 'systemctl show -p ActiveState,ConditionResult ss-cond | sort',
    want: 'ActiveState=inactive\nConditionResult=no\n',
  },
  {
    name: 'systemd: a unit systemd skipped is started once its condition holds',
    prepare: "printf '[Unit]\\nConditionPathExists=/srv/ss-cond-go\\n[Service]\\nExecStart=/bin/sleep infinity\\n' > /etc/systemd/system/ss-cond.service && systemctl daemon-reload && systemctl start ss-cond && touch /srv/ss-cond-go",
    tasks: [task('unit', systemd({ unit: 'ss-cond', state: 'started' }))],
    changed: ['unit'],
    readBack: 'systemctl show -p ActiveState,ConditionResult ss-cond | sort',
    want: 'ActiveState=active\nConditionResult=yes\n',
  },
);
