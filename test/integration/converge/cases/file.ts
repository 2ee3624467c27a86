// file, copy and template: modes with special bits, numeric owners, links at dest, missing parent
// folders, files made by one task and changed by the next.
import { task } from '../../../../engine/playbook/define.ts';
import { copy } from '../../../../modules/copy.ts';
import { file } from '../../../../modules/file.ts';
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
);
