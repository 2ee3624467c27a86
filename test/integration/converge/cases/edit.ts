// cron, lineinfile, blockinfile and authorizedKey: files edited in place, their other lines kept.
import { task } from '../../../../engine/playbook/define.ts';
import { authorizedKey } from '../../../../modules/authorized-key/authorized-key.ts';
import { blockinfile } from '../../../../modules/blockinfile/blockinfile.ts';
import { copy } from '../../../../modules/copy/copy.ts';
import { cron } from '../../../../modules/cron/cron.ts';
import { lineinfile } from '../../../../modules/lineinfile/lineinfile.ts';
import { user } from '../../../../modules/user/user.ts';
import { table } from '../case.ts';

// Public keys only (no private half exists anywhere): identified by type and body.
const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHlDqU0m0YJ1nqYzB3t5cZ2yHMpJrC7rB5kQ3VfYbJ9a a@conv';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGt7m4kS9pW2xQ6vN1cR8fJ3hL0dZ5yT2uE4iO7aB6cD b@conv';

export const editCases = table(
  {
    name: 'cron: a schedule changed, an environment line, a % escaped, another job kept',
    prepare: "printf '%s\\n' '#shipshape: backup' '0 3 * * * /usr/bin/true old' '15 * * * * /usr/bin/true mine' | crontab -u root -",
    tasks: [
      task('backup', cron({ name: 'backup', minute: '30', hour: '4', job: '/usr/bin/true new', environment: { MAILTO: '' } })),
      task('stamp', cron({ name: 'stamp', minute: '*/5', job: 'date +\\%s > /tmp/ss-stamp' })),
    ],
    changed: ['backup', 'stamp'],
    readBack: 'crontab -l -u root',
    want: 'MAILTO=""\n#shipshape: backup\n30 4 * * * /usr/bin/true new\n15 * * * * /usr/bin/true mine\n#shipshape: stamp\n*/5 * * * * date +\\%s > /tmp/ss-stamp\n',
  },
  {
    name: 'cron: a job removed, and a cron.d file made then emptied of its only job',
    prepare: "printf '%s\\n' '#shipshape: gone' '@daily /usr/bin/true' | crontab -u root -",
    tasks: [
      task('gone', cron({ name: 'gone', state: 'absent' })),
      task('cron.d', cron({ name: 'weekly', cronFile: 'ss-weekly', user: 'deploy', specialTime: 'weekly', job: '/usr/bin/true weekly' })),
    ],
    changed: ['gone', 'cron.d'],
    readBack: 'crontab -l -u root; cat /etc/cron.d/ss-weekly; stat -c %a:%U /etc/cron.d/ss-weekly',
    want: '#shipshape: weekly\n@weekly deploy /usr/bin/true weekly\n644:root\n',
  },
  {
    name: 'lineinfile: a line replaced by regexp, one added after a match, one removed',
    prepare: "printf '%s\\n' 'PermitRootLogin yes' '#Port 22' 'X11Forwarding yes' > /srv/sshd.conf",
    tasks: [
      task('root login', lineinfile({ path: '/srv/sshd.conf', regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no' })),
      task('port', lineinfile({ path: '/srv/sshd.conf', line: 'Port 2222', insertafter: '^#Port' })),
      task('no x11', lineinfile({ path: '/srv/sshd.conf', regexp: '^X11Forwarding', state: 'absent' })),
    ],
    changed: ['root login', 'port', 'no x11'],
    readBack: 'cat /srv/sshd.conf',
    want: 'PermitRootLogin no\n#Port 22\nPort 2222\n',
  },
  {
    name: 'lineinfile: a file created by copy (only when missing), then edited in the same run',
    tasks: [
      task('file', copy({ dest: '/srv/app.ini', content: 'workers=2\n', mode: '0640', force: false })),
      task('debug', lineinfile({ path: '/srv/app.ini', line: 'debug=false' })),
    ],
    changed: ['file', 'debug'],
    readBack: "stat -c %a /srv/app.ini; cat /srv/app.ini",
    want: '640\nworkers=2\ndebug=false\n',
  },
  {
    name: 'blockinfile: a block added after a line, and another file whose block is changed in place',
    prepare: "printf '%s\\n' 'first' 'last' > /srv/hosts; printf '%s\\n' 'top' '# BEGIN MANAGED BLOCK' 'old' '# END MANAGED BLOCK' 'bottom' > /srv/other",
    tasks: [
      task('block', blockinfile({ path: '/srv/hosts', block: '10.0.0.1 a\n10.0.0.3 c', insertafter: '^first' })),
      task('changed block', blockinfile({ path: '/srv/other', block: 'new' })),
    ],
    changed: ['block', 'changed block'],
    readBack: 'cat /srv/hosts /srv/other',
    want: 'first\n# BEGIN MANAGED BLOCK\n10.0.0.1 a\n10.0.0.3 c\n# END MANAGED BLOCK\nlast\ntop\n# BEGIN MANAGED BLOCK\nnew\n# END MANAGED BLOCK\nbottom\n',
  },
  {
    name: 'authorizedKey: keys for a user the same play creates; exclusive for another',
    prepare: `useradd -m ss-keys && mkdir -p /home/ss-keys/.ssh && printf '%s\\n' '${KEY_A}' 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ old@x' > /home/ss-keys/.ssh/authorized_keys`,
    tasks: [
      task('ops user', user({ name: 'ss-ops', shell: '/bin/bash' })),
      task('ops keys', authorizedKey({ user: 'ss-ops', key: [KEY_A, KEY_B] })),
      task('only B', authorizedKey({ user: 'ss-keys', key: KEY_B, exclusive: true })),
    ],
    changed: ['ops user', 'ops keys', 'only B'],
    readBack: 'for u in ss-ops ss-keys; do stat -c "%U:%G %a" /home/$u/.ssh /home/$u/.ssh/authorized_keys; cat /home/$u/.ssh/authorized_keys; done',
    want: `ss-ops:ss-ops 700\nss-ops:ss-ops 600\n${KEY_A}\n${KEY_B}\nss-keys:ss-keys 700\nss-keys:ss-keys 600\n${KEY_B}\n`,
  },
  {
    name: 'cron: an environment value changed in a cron.d file, and the only job of another cron.d file removed (the file goes)',
    prepare: "printf '%s\\n' 'MAILTO=old@example.org' '#shipshape: job' '* * * * * root /usr/bin/true' > /etc/cron.d/ss-env; printf '%s\\n' '#shipshape: lone' '@hourly root /usr/bin/true' > /etc/cron.d/ss-lone",
    tasks: [
      task('env', cron({ name: 'job', cronFile: 'ss-env', user: 'root', job: '/usr/bin/true', environment: { MAILTO: 'ops@example.org' } })),
      task('lone', cron({ name: 'lone', cronFile: 'ss-lone', state: 'absent' })),
    ],
    changed: ['env', 'lone'],
    readBack: 'cat /etc/cron.d/ss-env; test -e /etc/cron.d/ss-lone && echo present || echo gone',
    want: 'MAILTO=ops@example.org\n#shipshape: job\n* * * * * root /usr/bin/true\ngone\n',
  },
  {
    name: 'lineinfile: a missing file created with owner and mode; backrefs keep part of a line',
    prepare: "printf '%s\\n' 'listen 8080 default' > /srv/site.conf",
    tasks: [
      task('create', lineinfile({ path: '/srv/new.conf', line: 'enabled=true', create: true, owner: 'deploy', group: 'deploy', mode: '0600' })),
      task('backrefs', lineinfile({ path: '/srv/site.conf', regexp: '^listen (\\d+) default$', line: 'listen \\1 default_server', backrefs: true })),
    ],
    changed: ['create', 'backrefs'],
    readBack: "stat -c '%U:%G %a' /srv/new.conf; cat /srv/new.conf /srv/site.conf",
    want: 'deploy:deploy 600\nenabled=true\nlisten 8080 default_server\n',
  },
  {
    name: 'authorizedKey: a key removed, one with options added, the other line kept',
    prepare: `useradd -m ss-keys && install -d -o ss-keys -g ss-keys -m 0700 /home/ss-keys/.ssh && printf '%s\\n' '${KEY_A}' '${KEY_B}' > /home/ss-keys/.ssh/authorized_keys && chown ss-keys:ss-keys /home/ss-keys/.ssh/authorized_keys && chmod 0600 /home/ss-keys/.ssh/authorized_keys`,
    tasks: [
      task('drop A', authorizedKey({ user: 'ss-keys', key: KEY_A, state: 'absent' })),
      task('B restricted', authorizedKey({ user: 'ss-keys', key: `from="10.77.0.0/24" ${KEY_B}` })),
    ],
    changed: ['drop A', 'B restricted'],
    readBack: 'cat /home/ss-keys/.ssh/authorized_keys',
    want: `from="10.77.0.0/24" ${KEY_B}\n`,
  },
  {
    name: 'lineinfile and blockinfile: create makes a missing folder (as Ansible does), and a copy into it next is planned',
    tasks: [
      task('line', lineinfile({ path: '/srv/made/a.conf', line: 'a=1', create: true })),
      task('copy', copy({ dest: '/srv/made/b.conf', content: 'b=1\n' })),
      task('block', blockinfile({ path: '/srv/made2/c.conf', block: 'c=1', create: true })),
    ],
    changed: ['line', 'copy', 'block'],
    readBack: "stat -c '%n %F %a %U:%G' /srv/made /srv/made/a.conf /srv/made/b.conf /srv/made2/c.conf",
    want: '/srv/made directory 755 root:root\n/srv/made/a.conf regular file 644 root:root\n/srv/made/b.conf regular file 644 root:root\n/srv/made2/c.conf regular file 644 root:root\n',
  },
);
