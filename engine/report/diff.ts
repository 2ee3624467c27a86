// Renders the changes of a task for --diff: unified diffs of text (the diff library, not ours) and
// before -> after for attributes. Secrets never show: sensitive changes print a note instead.
import { createTwoFilesPatch } from 'diff';
import type { Change } from '../plan/types.ts';
import { maskDeep, maskSecrets } from '../secret.ts';

export function renderChanges(changes: readonly Change[]): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    if (c.sensitive) {
      lines.push(`  ~ ${c.what}: (sensitive content, not shown)`);
      continue;
    }
    if (c.text) {
      // Masked before diffing: the patch prefixes each line, so a secret of several lines would no
      // longer match in the patch's text.
      const patch = createTwoFilesPatch(maskSecrets(`${c.text.path} (before)`), maskSecrets(`${c.text.path} (after)`), maskSecrets(c.text.before), maskSecrets(c.text.after), '', '', { context: 3 });
      lines.push(...patch.split('\n').filter((l) => !/^=+$/.test(l) && l !== '').map((l) => `    ${l}`));
      continue;
    }
    lines.push(`  ~ ${c.what}: ${show(c.before)} -> ${show(c.after)}`);
  }
  return lines;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  if (typeof v === 'string') return maskSecrets(v);
  return JSON.stringify(maskDeep(v));
}
