// --tags / --skip-tags: a task runs when it carries one of the wanted tags (or 'always'), and none
// of the skipped ones. Tags of the play apply to each of its tasks.
import type { Play, Task } from '../playbook/define.ts';

export interface TagFilter {
  tags?: string[];
  skipTags?: string[];
}

export function taskSelected(play: Play, task: Task, filter: TagFilter): boolean {
  const tags = new Set([...(play.tags ?? []), ...(task.tags ?? [])]);
  if (filter.skipTags?.some((t) => tags.has(t))) return false;
  if (!filter.tags || filter.tags.length === 0 || filter.tags.includes('all')) return true;
  return tags.has('always') || filter.tags.some((t) => tags.has(t));
}
