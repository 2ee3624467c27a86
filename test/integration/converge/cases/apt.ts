// apt: what a dry run must foresee of package changes made by earlier tasks or by the same task
// (issue 16 defects 2, 3 and 10; 9 is a unit row, test/unit/modules/apt.test.ts: the lab mirror has
// one version of each package). wget is installed first with its libraries marked automatic, as
// `apt-get install wget` leaves them; a fresh image has empty lists.
import { task } from '../../../../engine/playbook/define.ts';
import { apt } from '../../../../modules/apt.ts';
import { systemd } from '../../../../modules/systemd.ts';
import { table } from '../case.ts';

const WGET = 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget >/dev/null && apt-mark auto libpsl5 publicsuffix >/dev/null';
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
);
