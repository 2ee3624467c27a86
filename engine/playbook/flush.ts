// flushHandlers(): a task that runs the handlers notified so far, there and then (Ansible's
// `meta: flush_handlers`), for a later task that needs the restarted service. The engine, not a
// module, acts on it; its module exists so the task has the shape of every other task.
import { Type } from '@sinclair/typebox';
import { defineModule } from '../module.ts';
import { task, type Task } from './define.ts';

const flushModule = defineModule({
  name: 'flushHandlers',
  summary: 'Run the handlers notified so far, now (then the play goes on).',
  params: Type.Object({}, { additionalProperties: false }),
  facts: () => [],
  plan: () => ({ changes: [], steps: [] }),
});

export function flushHandlers(name = 'flush handlers'): Task {
  return task(name, flushModule({}));
}

export function isFlush(t: Task): boolean {
  return t.call.module.name === 'flushHandlers';
}
