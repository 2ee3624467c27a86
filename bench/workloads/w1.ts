// W1, the workload of the public pyinfra-performance benchmark, step for step: add a user, create a
// log file with a mode and an owner, copy one file into the user's home, run `echo`. The Ansible
// twin is bench/ansible/w1.yml; keep the two equivalent.
import { play, playbook, task } from '../../engine/playbook/define.ts';
import { copy, file, shell, user } from '../../modules/index.ts';

export default playbook(
  play({
    name: 'W1',
    hosts: 'all',
    become: true,
    tasks: [
      task('Add pyinfra user', user({ name: 'pyinfra', home: '/home/pyinfra', shell: '/bin/bash' })),
      task('Add log file', file({ path: '/var/log/pyinfra.log', state: 'touch', owner: 'pyinfra', mode: '0777' })),
      task('Copy a file', copy({ src: 'files/test_file.txt', dest: '/home/pyinfra/test_file.txt', owner: 'pyinfra' })),
      task('Run some shell', shell({ cmd: 'echo "hi!"' })),
    ],
  }),
);
