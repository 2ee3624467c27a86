// The playbook every convergence case runs: the case named by SS_CONVERGE_CASE, as one play on
// the conv hosts (the run's --limit picks the one host the case was given), as root.
import { play, playbook } from '../../../engine/playbook/define.ts';
import { findCase } from './cases/index.ts';

const c = findCase(process.env.SS_CONVERGE_CASE ?? '');

export default playbook(play({ name: c.name, hosts: 'conv', become: true, tasks: c.tasks, handlers: c.handlers ?? [] }));
