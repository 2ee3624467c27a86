// file, copy and template: modes with special bits, numeric owners, links at dest, missing parent
// folders, files made by one task and changed by the next.
import { task } from '../../../../engine/playbook/define.ts';
import { copy } from '../../../../modules/copy.ts';
import { file } from '../../../../modules/file.ts';
import { template } from '../../../../modules/template.ts';
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
);
