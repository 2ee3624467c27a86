// file, copy and template: modes with special bits, numeric owners, links at dest, missing parent
// folders, files made by one task and changed by the next.
import { task } from '../../../../engine/playbook/define.ts';
import { copy } from '../../../../modules/copy/copy.ts';
import { file } from '../../../../modules/file/file.ts';
import { template } from '../../../../modules/template/template.ts';
import { table } from '../case.ts';

const stat = (...paths: string[]) => `stat -c '%n %F %a %U:%G' ${paths.join(' ')}`;

export const fileCases = table(
  {
    name: 'file: a new directory with its parents, owner and mode',
    tasks: [task('dir', file({ path: '/srv/a/b/c', state: 'directory', owner: 'deploy', group: 'deploy', mode: '0750' }))],
    changed: ['dir'],
    readBack: stat('/srv/a/b/c'),
    want: '/srv/a/b/c directory 750 deploy:deploy\n',
  },
  {
    name: 'copy: a new file, then its mode changed by file',
    tasks: [
      task('copy', copy({ dest: '/srv/x.conf', content: 'x = 1\n' })),
      task('mode', file({ path: '/srv/x.conf', mode: '0600' })),
    ],
    changed: ['copy', 'mode'],
    readBack: `${stat('/srv/x.conf')}; cat /srv/x.conf`,
    want: '/srv/x.conf regular file 600 root:root\nx = 1\n',
  },
  {
    name: 'copy: content already there, only the mode differs',
    prepare: "printf 'same\\n' > /srv/same; chmod 0640 /srv/same",
    tasks: [task('copy', copy({ dest: '/srv/same', content: 'same\n', mode: '0644' }))],
    changed: ['copy'],
    readBack: stat('/srv/same'),
    want: '/srv/same regular file 644 root:root\n',
  },
  {
    name: 'template: a conditional and a loop',
    tasks: [task('render', template({ src: 'templates/loops.hbs', dest: '/srv/loops.conf', vars: { name: 'relay', tls: true, peers: ['a', 'b'] }, mode: '0640' }))],
    changed: ['render'],
    readBack: `${stat('/srv/loops.conf')}; cat /srv/loops.conf`,
    want: '/srv/loops.conf regular file 640 root:root\nname=relay\ntls=on\npeer=a\npeer=b\n',
  },
  {
    name: 'template: {{#if}} on a variable that is not defined fails, dry run and real run (defect 7)',
    tasks: [task('render', template({ src: 'templates/if-flag.hbs', dest: '/srv/flag.conf' }))],
    changed: [],
    fails: { msg: /template templates\/if-flag.hbs: variable 'flag' is not defined \(line 1\)/ },
    readBack: 'test -e /srv/flag.conf && echo written || echo absent',
    want: 'absent\n',
  },
  {
    name: 'template: {{#each}} over a variable that is not defined fails (defect 7)',
    tasks: [task('render', template({ src: 'templates/each-items.hbs', dest: '/srv/items.conf' }))],
    changed: [],
    fails: { msg: /variable 'items' is not defined \(line 1\)/ },
    readBack: 'test -e /srv/items.conf && echo written || echo absent',
    want: 'absent\n',
  },
  {
    name: 'file: mode 0755 on a 2775 directory clears the setgid bit (defect 4)',
    prepare: 'mkdir -m 2775 /srv/sg',
    tasks: [task('dir', file({ path: '/srv/sg', state: 'directory', mode: '0755' }))],
    changed: ['dir'],
    readBack: stat('/srv/sg'),
    want: '/srv/sg directory 755 root:root\n',
  },
  {
    name: 'file: a new directory with mode 0755 under a setgid folder (defect 4)',
    prepare: 'mkdir -m 2775 /srv/sg; chgrp staff /srv/sg',
    tasks: [task('dir', file({ path: '/srv/sg/new', state: 'directory', mode: '0755' }))],
    changed: ['dir'],
    readBack: stat('/srv/sg/new'),
    want: '/srv/sg/new directory 755 root:staff\n',
  },
  {
    name: 'file: new folders under a setgid folder, then one of them and a copy in it (defects 4, 11)',
    prepare: 'mkdir -m 2775 /srv/sg; chgrp staff /srv/sg',
    tasks: [
      task('deep', file({ path: '/srv/sg/p/q/r', state: 'directory' })),
      task('middle', file({ path: '/srv/sg/p/q', state: 'directory', group: 'staff', mode: '2755' })),
      task('copy', copy({ dest: '/srv/sg/p/q/f', content: 'f\n' })),
      task('copy group', file({ path: '/srv/sg/p/q/f', group: 'staff' })),
    ],
    changed: ['deep', 'copy'],
    readBack: stat('/srv/sg/p', '/srv/sg/p/q', '/srv/sg/p/q/r', '/srv/sg/p/q/f'),
    want: '/srv/sg/p directory 2755 root:staff\n/srv/sg/p/q directory 2755 root:staff\n/srv/sg/p/q/r directory 2755 root:staff\n/srv/sg/p/q/f regular file 644 root:staff\n',
  },
  {
    name: 'file: a folder below one an earlier task made, then that one (defect 11)',
    tasks: [
      task('deep', file({ path: '/srv/p/q/r', state: 'directory' })),
      task('middle', file({ path: '/srv/p/q', state: 'directory' })),
      task('top', file({ path: '/srv/p', state: 'directory', owner: 'root', group: 'root', mode: '0755' })),
    ],
    changed: ['deep'],
    readBack: stat('/srv/p', '/srv/p/q', '/srv/p/q/r'),
    want: '/srv/p directory 755 root:root\n/srv/p/q directory 755 root:root\n/srv/p/q/r directory 755 root:root\n',
  },
  {
    name: 'copy: a new file then file owner root, group root runs no chown (defect 11)',
    tasks: [
      task('copy', copy({ dest: '/srv/new.txt', content: 'new\n' })),
      task('owner', file({ path: '/srv/new.txt', owner: 'root', group: 'root' })),
    ],
    changed: ['copy'],
    readBack: stat('/srv/new.txt'),
    want: '/srv/new.txt regular file 644 root:root\n',
  },
  {
    name: 'copy: into a folder that does not exist fails in the dry run as in the real run (defect 6)',
    tasks: [task('copy', copy({ dest: '/srv/missing/a.txt', content: 'a\n' }))],
    changed: [],
    fails: { task: 'copy', msg: /^the folder \/srv\/missing does not exist \(and no earlier task creates it\): create it first/ },
    readBack: 'test -e /srv/missing && echo present || echo absent',
    want: 'absent\n',
  },
  {
    name: 'template: into a folder that does not exist fails in the dry run as in the real run (defect 6)',
    tasks: [task('render', template({ src: 'templates/loops.hbs', dest: '/srv/missing/t.conf', vars: { name: 'n', tls: false, peers: [] } }))],
    changed: [],
    fails: { task: 'render', msg: /^the folder \/srv\/missing does not exist/ },
    readBack: 'test -e /srv/missing && echo present || echo absent',
    want: 'absent\n',
  },
  {
    name: 'copy: into a folder an earlier task makes',
    tasks: [
      task('dir', file({ path: '/srv/made', state: 'directory' })),
      task('copy', copy({ dest: '/srv/made/a.txt', content: 'a\n', mode: '0600' })),
    ],
    changed: ['dir', 'copy'],
    readBack: stat('/srv/made', '/srv/made/a.txt'),
    want: '/srv/made directory 755 root:root\n/srv/made/a.txt regular file 600 root:root\n',
  },
  {
    name: 'file/copy: setuid file, sticky folder, setgid folder asked for',
    tasks: [
      task('suid', copy({ dest: '/srv/suid', content: '#!/bin/sh\n', mode: '4755' })),
      task('sticky', file({ path: '/srv/tmp', state: 'directory', mode: '1777' })),
      task('setgid', file({ path: '/srv/shared', state: 'directory', group: 'staff', mode: '2775' })),
    ],
    changed: ['suid', 'sticky', 'setgid'],
    readBack: stat('/srv/suid', '/srv/tmp', '/srv/shared'),
    want: '/srv/suid regular file 4755 root:root\n/srv/tmp directory 1777 root:root\n/srv/shared directory 2775 root:staff\n',
  },
  {
    name: 'file: numeric owner and group of existing accounts',
    prepare: 'echo x > /srv/owned && chown deploy:deploy /srv/owned',
    tasks: [task('owner', file({ path: '/srv/owned', owner: '0', group: '0' }))],
    changed: ['owner'],
    readBack: stat('/srv/owned'),
    want: '/srv/owned regular file 644 root:root\n',
  },
  {
    name: 'copy: a symbolic link at dest is refused, dry run and real run; the link and its target stay',
    prepare: "printf 'target\\n' > /srv/target; ln -s /srv/target /srv/link",
    tasks: [task('copy', copy({ dest: '/srv/link', content: 'new\n' }))],
    changed: [],
    fails: { task: 'copy', msg: /^\/srv\/link is a symbolic link to \/srv\/target/ },
    readBack: 'readlink /srv/link; cat /srv/target',
    want: '/srv/target\ntarget\n',
  },
  {
    name: 'file: a link made, and an existing link pointed elsewhere',
    prepare: 'touch /srv/one /srv/two; ln -s /srv/one /srv/old-link',
    tasks: [
      task('new link', file({ path: '/srv/new-link', state: 'link', src: '/srv/one' })),
      task('moved link', file({ path: '/srv/old-link', state: 'link', src: '/srv/two' })),
    ],
    changed: ['new link', 'moved link'],
    readBack: 'readlink /srv/new-link /srv/old-link',
    want: '/srv/one\n/srv/two\n',
  },
  {
    name: 'copy: a file larger than the diff limit (300 KiB), replaced once',
    prepare: "head -c 300000 /dev/zero | tr '\\0' x > /srv/big",
    tasks: [task('big', copy({ dest: '/srv/big', content: 'y'.repeat(300_000) }))],
    changed: ['big'],
    readBack: "wc -c < /srv/big; tr -d y < /srv/big | wc -c",
    want: '300000\n0\n',
  },
  {
    name: 'file: touch in a folder that does not exist is refused; absent on a missing path is ok',
    tasks: [
      task('gone', file({ path: '/srv/never', state: 'absent' })),
      task('touch', file({ path: '/srv/none/f', state: 'touch' })),
    ],
    changed: [],
    fails: { task: 'touch', msg: /^the folder \/srv\/none does not exist/ },
    readBack: 'test -e /srv/none && echo present || echo absent',
    want: 'absent\n',
  },
  {
    name: 'file: a link in a folder that does not exist is refused, dry run and real run (defect 6)',
    tasks: [task('link', file({ path: '/srv/none/l', state: 'link', src: '/etc/hostname' }))],
    changed: [],
    fails: { task: 'link', msg: /^the folder \/srv\/none does not exist/ },
    readBack: 'test -e /srv/none && echo present || echo absent',
    want: 'absent\n',
  },
);
