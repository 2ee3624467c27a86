// apt: what a dry run must foresee of package changes made by earlier tasks or by the same task
// (issue 16 defects 2, 3 and 10; 9 is a unit row, modules/apt/apt.test.ts: the lab mirror has
// one version of each package). wget is installed first with its libraries marked automatic, as
// `apt-get install wget` leaves them; a fresh image has empty lists.
import { task } from '../../../../engine/playbook/define.ts';
import { apt } from '../../../../modules/apt/apt.ts';
import { systemd } from '../../../../modules/systemd/systemd.ts';
import { command } from '../../../../modules/command/command.ts';
import { table } from '../case.ts';

const WGET = 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget >/dev/null && apt-mark auto libpsl5 publicsuffix >/dev/null';
// A local `hello` at version 99, above the mirror's candidate (what a backport or a hand-built
// package leaves), then the lists fetched.
const HELLO_99 = [
  'd=$(mktemp -d) && mkdir "$d/DEBIAN"',
  `printf 'Package: hello\\nVersion: 99\\nArchitecture: all\\nMaintainer: ss <ss@lab.test>\\nDescription: newer than the mirror\\n' > "$d/DEBIAN/control"`,
  'dpkg-deb --build "$d" /tmp/hello_99.deb >/dev/null && dpkg -i /tmp/hello_99.deb >/dev/null && rm -rf "$d" /tmp/hello_99.deb',
  'apt-get update -qq',
].join(' && ');
const UPDATE = 'apt-get update -qq';
const installed = "dpkg-query -W -f '${Package} ${Status}\\n' wget libpsl5 publicsuffix 2>/dev/null | grep ' installed$' | cut -d' ' -f1; true";

export const aptCases = table(
  {
    name: 'apt: autoremove after a removal counts what the removal leaves (defect 2)',
    prepare: WGET,
    tasks: [task('wget removed', apt({ name: 'wget', state: 'absent' })), task('autoremove', apt({ autoremove: true }))],
    changed: ['wget removed', 'autoremove'],
    readBack: installed,
    want: '',
  },
  {
    name: 'apt: autoremove in the removing task reports and purges what it takes along (defect 3)',
    prepare: WGET,
    tasks: [task('wget purged', apt({ name: 'wget', state: 'absent', purge: true, autoremove: true }))],
    changed: ['wget purged'],
    readBack: installed,
    want: '',
  },
  {
    // The dry run cannot know whether rsyslog's postinst starts it: unknown, never ok (the real run stops it).
    name: 'apt: a unit a package brings, stopped and disabled after the install (defect 10)',
    tasks: [task('rsyslog installed', apt({ name: 'rsyslog', cacheValidTime: 3600 })), task('rsyslog stopped', systemd({ unit: 'rsyslog', state: 'stopped', enabled: false }))],
    changed: ['rsyslog installed', 'rsyslog stopped'],
    readBack: 'systemctl is-active rsyslog; systemctl is-enabled rsyslog; true',
    want: 'inactive\ndisabled\n',
  },
  {
    name: 'apt: a package not installed, state absent: ok, nothing run',
    prepare: UPDATE,
    tasks: [task('hello absent', apt({ name: 'hello', state: 'absent' }))],
    changed: [],
    readBack: "dpkg-query -W -f '${Status}\\n' hello 2>/dev/null | grep -c ' installed$'; true",
    want: '0\n',
  },
  {
    name: 'apt: a name no source has fails, dry run and real run, naming it',
    prepare: UPDATE,
    tasks: [task('install', apt({ name: 'ss-no-such-package' }))],
    changed: [],
    fails: { task: 'install', msg: /ss-no-such-package/ },
    readBack: "dpkg-query -W ss-no-such-package >/dev/null 2>&1 && echo installed || echo absent",
    want: 'absent\n',
  },
  {
    name: 'apt: installed at a version newer than the candidate, state latest: ok, never a downgrade',
    prepare: HELLO_99,
    tasks: [task('hello latest', apt({ name: 'hello', state: 'latest' }))],
    changed: [],
    readBack: "dpkg-query -W -f '${Version}\\n' hello",
    want: '99\n',
  },
  {
    name: 'apt: a package removed earlier, its configuration left: purge takes the configuration',
    prepare: `${UPDATE} && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsyslog >/dev/null && apt-get remove -y -qq rsyslog >/dev/null`,
    tasks: [task('rsyslog purged', apt({ name: 'rsyslog', state: 'absent', purge: true }))],
    changed: ['rsyslog purged'],
    readBack: "dpkg-query -W -f '${Status}\\n' rsyslog 2>/dev/null | grep -c -e ' installed$' -e ' config-files$'; test -e /etc/rsyslog.conf && echo conf || echo no conf",
    want: '0\nno conf\n',
  },
  {
    name: 'apt: a held package is not removed: refused in the dry run as apt-get -y refuses it in the real run',
    prepare: `${UPDATE} && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hello >/dev/null && apt-mark hold hello >/dev/null`,
    tasks: [task('hello removed', apt({ name: 'hello', state: 'absent' }))],
    changed: [],
    fails: { task: 'hello removed', msg: /package hello is held \(apt-mark hold\): apt-get will not remove it; release it first/ },
    readBack: "dpkg-query -W -f '${Status}\\n' hello",
    want: 'hold ok installed\n',
  },
  {
    name: 'apt: a held package released by a command, then removed: the dry run cannot know the hold is gone and plans the removal',
    // The marker makes the command run once: a second run skips it (removes: the marker is gone).
    prepare: `${UPDATE} && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hello >/dev/null && apt-mark hold hello >/dev/null && touch /root/ss-unhold`,
    tasks: [
      task('unhold', command({ argv: ['sh', '-c', 'apt-mark unhold hello && rm /root/ss-unhold'], removes: '/root/ss-unhold' })),
      task('hello removed', apt({ name: 'hello', state: 'absent' })),
    ],
    changed: ['unhold', 'hello removed'],
    readBack: "dpkg-query -W -f '${Status}\\n' hello 2>/dev/null | grep -c ' installed$'; true",
    want: '0\n',
  },
);
