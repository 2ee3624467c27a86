// user and group: uid conflicts, removal with running processes, groups appended or replaced,
// passwords set and changed, a user and its group created and used by a later task.
import { task } from '../../../../engine/playbook/define.ts';
import { file } from '../../../../modules/file/file.ts';
import { group } from '../../../../modules/group/group.ts';
import { systemd } from '../../../../modules/systemd/systemd.ts';
import { user } from '../../../../modules/user/user.ts';
import { table } from '../case.ts';

// Two yescrypt hashes (of 'one' and 'two'): set as given, compared on the host as a digest only.
const HASH_ONE = '$y$j9T$Z0pRMXkzQ3pDL1ZKb3E4$0bMfvXgKcNq3YH1Z2W7j2QK1HzQe3l7cO2vFZ8pDzW.';
const HASH_TWO = '$y$j9T$ZXh0cmFzYWx0Ynl0ZXM.$Vq0n2mVf1kV9mQm3qP2Hkq1dGz4wC5yO7sN8tR6uJ1A';
/** Name, home and shell (uid when asked), then the groups; or 'no NAME'. */
const who = (name: string, uid = false) => `getent passwd ${name} | cut -d: -f1,${uid ? '3,' : ''}6,7 | grep . || echo 'no ${name}'; id -Gn ${name} 2>/dev/null || true`;

export const userCases = table(
  {
    name: 'user: a uid another user has is refused in the dry run as in the real run (defect 8)',
    prepare: 'useradd -u 1500 ss-other',
    tasks: [task('new user', user({ name: 'ss-new', uid: 1500 }))],
    changed: [],
    fails: { task: 'new user', msg: /^uid 1500 is already used by the user 'ss-other': useradd would refuse; choose another uid/ },
    readBack: `getent passwd 1500 | cut -d: -f1; ${who('ss-new')}`,
    want: 'ss-other\nno ss-new\n',
  },
  {
    name: 'user: removing a user with a running process is refused, naming it (defect 8)',
    prepare: 'useradd -m ss-busy && systemd-run --quiet --uid=ss-busy --unit=ss-busy-sleep /bin/sleep 1000',
    tasks: [task('remove', user({ name: 'ss-busy', state: 'absent' }))],
    changed: [],
    fails: { task: 'remove', msg: /^user 'ss-busy' has 1 running process \(\d+ sleep\): userdel would refuse; stop them first/ },
    readBack: "getent passwd ss-busy | cut -d: -f1",
    want: 'ss-busy\n',
  },
  {
    name: 'user: its service stopped by an earlier task, then the user removed',
    prepare: 'useradd -m ss-busy && systemd-run --quiet --uid=ss-busy --unit=ss-busy-sleep /bin/sleep 1000',
    tasks: [
      task('stop', systemd({ unit: 'ss-busy-sleep', state: 'stopped' })),
      task('remove', user({ name: 'ss-busy', state: 'absent', remove: true })),
    ],
    changed: ['stop', 'remove'],
    readBack: `${who('ss-busy')}; test -e /home/ss-busy && echo home || echo 'no home'`,
    want: 'no ss-busy\nno home\n',
  },
  {
    name: 'user: a new user with uid, groups and a password, then a folder it owns',
    prepare: 'groupadd ss-extra',
    tasks: [
      task('user', user({ name: 'ss-u', uid: 1600, groups: ['ss-extra'], shell: '/bin/bash', password: HASH_ONE })),
      task('folder', file({ path: '/srv/ss-u', state: 'directory', owner: 'ss-u', group: 'ss-u', mode: '0700' })),
    ],
    changed: ['user', 'folder'],
    readBack: `${who('ss-u', true)}; getent shadow ss-u | cut -d: -f2; stat -c '%U:%G %a' /srv/ss-u`,
    want: `ss-u:1600:/home/ss-u:/bin/bash\nss-u ss-extra\n${HASH_ONE}\nss-u:ss-u 700\n`,
  },
  {
    name: 'user: password changed, groups appended (others kept)',
    prepare: `groupadd ss-a && groupadd ss-b && useradd -m -G ss-a ss-u && printf '%s\\n' 'ss-u:${HASH_ONE}' | chpasswd -e`,
    tasks: [task('user', user({ name: 'ss-u', groups: ['ss-b'], append: true, password: HASH_TWO }))],
    changed: ['user'],
    readBack: `${who('ss-u')}; getent shadow ss-u | cut -d: -f2`,
    want: `ss-u:/home/ss-u:/bin/sh\nss-u ss-a ss-b\n${HASH_TWO}\n`,
  },
  {
    name: 'user: groups replaced (others dropped)',
    prepare: 'groupadd ss-a && groupadd ss-b && useradd -m -G ss-a ss-u',
    tasks: [task('user', user({ name: 'ss-u', groups: ['ss-b'] }))],
    changed: ['user'],
    readBack: who('ss-u'),
    want: 'ss-u:/home/ss-u:/bin/sh\nss-u ss-b\n',
  },
  {
    name: 'user: password locked (usermod -L, the hash kept)',
    prepare: `useradd -m ss-u && printf '%s\\n' 'ss-u:${HASH_ONE}' | chpasswd -e`,
    tasks: [task('lock', user({ name: 'ss-u', passwordLock: true }))],
    changed: ['lock'],
    readBack: 'getent shadow ss-u | cut -d: -f2',
    want: `!${HASH_ONE}\n`,
  },
  {
    name: 'user: password already locked: ok',
    prepare: `useradd -m ss-u && printf '%s\\n' 'ss-u:!${HASH_ONE}' | chpasswd -e`,
    tasks: [task('lock', user({ name: 'ss-u', passwordLock: true, password: HASH_ONE }))],
    changed: [],
    readBack: 'getent shadow ss-u | cut -d: -f2',
    want: `!${HASH_ONE}\n`,
  },
  {
    name: 'user: password unlocked (usermod -U)',
    prepare: `useradd -m ss-u && printf '%s\\n' 'ss-u:!${HASH_ONE}' | chpasswd -e`,
    tasks: [task('unlock', user({ name: 'ss-u', passwordLock: false }))],
    changed: ['unlock'],
    readBack: 'getent shadow ss-u | cut -d: -f2',
    want: `${HASH_ONE}\n`,
  },
  {
    name: 'user: a new password and the lock in one task: locked with that hash, the next run ok',
    prepare: `useradd -m ss-u && printf '%s\\n' 'ss-u:${HASH_ONE}' | chpasswd -e`,
    tasks: [task('lock', user({ name: 'ss-u', passwordLock: true, password: HASH_TWO }))],
    changed: ['lock'],
    readBack: 'getent shadow ss-u | cut -d: -f2',
    want: `!${HASH_TWO}\n`,
  },
  {
    name: 'user: a new password on a locked account keeps it locked',
    prepare: `useradd -m ss-u && printf '%s\\n' 'ss-u:!${HASH_ONE}' | chpasswd -e`,
    tasks: [task('password', user({ name: 'ss-u', password: HASH_TWO }))],
    changed: ['password'],
    readBack: 'getent shadow ss-u | cut -d: -f2',
    want: `!${HASH_TWO}\n`,
  },
  {
    name: "user: unlocking a bare '!' (no hash behind it) is refused, dry run as real run",
    prepare: 'useradd -m ss-u',
    tasks: [task('unlock', user({ name: 'ss-u', passwordLock: false }))],
    changed: [],
    fails: { task: 'unlock', msg: /^cannot unlock the password of 'ss-u': there is no hash behind its lock .*give a hashed password in the same task/ },
    readBack: 'getent shadow ss-u | cut -d: -f2',
    want: '!\n',
  },
  {
    name: 'user: created, then locked by a later task of the same play (useradd leaves it locked: ok); then a password set, still locked',
    tasks: [
      task('create', user({ name: 'ss-u', shell: '/bin/bash' })),
      task('lock', user({ name: 'ss-u', passwordLock: true })),
      task('password', user({ name: 'ss-u', password: HASH_ONE, passwordLock: true })),
    ],
    changed: ['create', 'password'],
    readBack: 'getent shadow ss-u | cut -d: -f2',
    want: `!${HASH_ONE}\n`,
  },
  {
    name: 'group: created with a gid, renumbered, removed',
    prepare: 'groupadd -g 1700 ss-old && groupadd ss-gone',
    tasks: [
      task('new', group({ name: 'ss-g', gid: 1800 })),
      task('renumber', group({ name: 'ss-old', gid: 1750 })),
      task('remove', group({ name: 'ss-gone', state: 'absent' })),
    ],
    changed: ['new', 'renumber', 'remove'],
    readBack: "getent group ss-g ss-old | cut -d: -f1,3; getent group ss-gone || echo 'no ss-gone'",
    want: 'ss-g:1800\nss-old:1750\nno ss-gone\n',
  },
  {
    name: 'group: a gid another group has is refused in the dry run as in the real run',
    prepare: 'groupadd -g 1700 ss-old && groupadd -g 1701 ss-taken',
    tasks: [task('renumber', group({ name: 'ss-old', gid: 1701 }))],
    changed: [],
    fails: { task: 'renumber', msg: /^gid 1701 is already used by the group 'ss-taken': groupmod would refuse/ },
    readBack: 'getent group ss-old ss-taken | cut -d: -f1,3',
    want: 'ss-old:1700\nss-taken:1701\n',
  },
);
