// What a converged host costs with a command in the play (round-trips.test.ts): files before and
// after a command that runs on every run.
import { play, playbook, task } from '../../../engine/playbook/define.ts';
import { command } from '../../../modules/command/command.ts';
import { copy } from '../../../modules/copy/copy.ts';
import { file } from '../../../modules/file/file.ts';

export default playbook(
  play({
    name: 'round trips',
    hosts: 'conv',
    become: true,
    tasks: [
      task('folder', file({ path: '/srv/rt', state: 'directory' })),
      task('always', command({ argv: ['true'] })),
      task('a', copy({ dest: '/srv/rt/a', content: 'a\n' })),
      task('b', copy({ dest: '/srv/rt/b', content: 'b\n' })),
      task('c', file({ path: '/srv/rt/c', state: 'directory' })),
    ],
  }),
);
