// Empty values (issue 16): what an Ansible user gets burned by when a variable comes out empty.
// `groups: []` replaces (drops every supplementary group) and, with append, is nothing to do; an
// empty comment clears the GECOS field; an empty shell or home is refused before any host is
// touched (usermod set an empty shell, which means /bin/sh, or failed on the home after the dry run
// said "changed"); an empty cron environment value already written as `MAILTO=''` is that value.
import { task } from '../../../../engine/playbook/define.ts';
import { cron } from '../../../../modules/cron/cron.ts';
import { user } from '../../../../modules/user/user.ts';
import { table } from '../case.ts';

const who = (name: string) => `getent passwd ${name} | cut -d: -f1,5,6,7; id -Gn ${name}`;

export const emptyCases = table(
  {
    name: 'empty: user groups [] replaces: every supplementary group dropped',
    prepare: 'groupadd ss-a && groupadd ss-b && useradd -m -G ss-a,ss-b ss-u',
    tasks: [task('user', user({ name: 'ss-u', groups: [] }))],
    changed: ['user'],
    readBack: who('ss-u'),
    want: 'ss-u::/home/ss-u:/bin/sh\nss-u\n',
  },
  {
    name: 'empty: user groups [] with append: nothing to do',
    prepare: 'groupadd ss-a && useradd -m -G ss-a ss-u',
    tasks: [task('user', user({ name: 'ss-u', groups: [], append: true }))],
    changed: [],
    readBack: who('ss-u'),
    want: 'ss-u::/home/ss-u:/bin/sh\nss-u ss-a\n',
  },
  {
    name: "empty: user comment '' clears the comment",
    prepare: "useradd -m -c 'Some One,Room 1' ss-u",
    tasks: [task('user', user({ name: 'ss-u', comment: '' }))],
    changed: ['user'],
    readBack: who('ss-u'),
    want: 'ss-u::/home/ss-u:/bin/sh\nss-u\n',
  },
  {
    name: "empty: user comment set on a new user, then '' on an account without one: ok",
    prepare: 'useradd -m ss-v',
    tasks: [task('new', user({ name: 'ss-u', comment: 'Some One' })), task('none', user({ name: 'ss-v', comment: '' }))],
    changed: ['new'],
    readBack: `${who('ss-u')}; ${who('ss-v')}`,
    want: 'ss-u:Some One:/home/ss-u:/bin/sh\nss-u\nss-v::/home/ss-v:/bin/sh\nss-v\n',
  },
  {
    name: "empty: user shell '' is refused in the plan (an empty shell is /bin/sh to login)",
    prepare: 'useradd -m -s /usr/sbin/nologin ss-u',
    tasks: [task('user', user({ name: 'ss-u', shell: '' }))],
    changed: [],
    fails: { msg: /shell '' for 'ss-u': an empty login shell means \/bin\/sh to login and su; give one/ },
    readBack: who('ss-u'),
    want: 'ss-u::/home/ss-u:/usr/sbin/nologin\nss-u\n',
  },
  {
    name: "empty: user home '' is refused in the plan",
    prepare: 'useradd -m ss-u',
    tasks: [task('user', user({ name: 'ss-u', home: '' }))],
    changed: [],
    fails: { msg: /home '' for 'ss-u': give an absolute path \(useradd and usermod refuse an empty one\)/ },
    readBack: who('ss-u'),
    want: 'ss-u::/home/ss-u:/bin/sh\nss-u\n',
  },
  {
    name: "empty: cron environment MAILTO '' where the crontab has MAILTO='' and PATH = \"/usr/bin:/bin\": ok, not rewritten",
    prepare: `printf '%s\\n' "MAILTO=''" 'PATH = "/usr/bin:/bin"' '#shipshape: backup' '0 3 * * * /usr/bin/true' | crontab -u root -`,
    tasks: [task('backup', cron({ name: 'backup', minute: '0', hour: '3', job: '/usr/bin/true', environment: { MAILTO: '', PATH: '/usr/bin:/bin' } }))],
    changed: [],
    readBack: 'crontab -l -u root',
    want: `MAILTO=''\nPATH = "/usr/bin:/bin"\n#shipshape: backup\n0 3 * * * /usr/bin/true\n`,
  },
);
