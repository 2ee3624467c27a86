// Turns a planned step into the shell text and stdin the connection sends. Arguments pass through
// quote(); secret content goes on stdin, never into the command line.
import { posix } from 'node:path';
import { quote, shellJoin } from '../quote.ts';
import { isSecret, type Secret } from '../secret.ts';
import type { RunStep, WriteStep } from './types.ts';

export interface RenderedCommand {
  command: string;
  stdin?: string | Buffer | Secret;
}

export function renderRun(step: RunStep): RenderedCommand {
  let command = step.shell ?? shellJoin(step.argv);
  if (step.env && Object.keys(step.env).length > 0) {
    const assignments = Object.entries(step.env).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
    command = step.shell !== undefined ? `export ${assignments}\n${command}` : `${assignments} ${command}`;
  }
  if (step.cwd) command = `cd ${quote(step.cwd)} || exit 1\n${command}`;
  return { command, stdin: step.stdin };
}

/**
 * The atomic write: a temp file created 0600 beside the target, given its final owner and mode
 * before any content goes in, filled from stdin, synced, validated, then renamed over the target.
 * Without an explicit owner or mode, an existing target's are kept; a new file gets root:root 0644.
 */
export function renderWrite(step: WriteStep): RenderedCommand {
  const target = quote(step.path);
  const dir = quote(posix.dirname(step.path));
  const base = posix.basename(step.path);
  const lines = [
    'set -e',
    'umask 077',
    `tmp=$(mktemp ${dir}/${quote(`.${base}.shipshape-XXXXXX`)})`,
    `trap 'rm -f "$tmp"' EXIT`,
  ];
  if (step.owner || step.group) {
    lines.push(`chown ${quote(`${step.owner ?? ''}${step.group ? `:${step.group}` : ''}`)} "$tmp"`);
  } else {
    lines.push(`if [ -e ${target} ]; then chown --reference=${target} "$tmp"; fi`);
  }
  if (step.mode) lines.push(`chmod ${quote(step.mode)} "$tmp"`);
  else lines.push(`if [ -e ${target} ]; then chmod --reference=${target} "$tmp"; else chmod 0644 "$tmp"; fi`);
  lines.push('cat > "$tmp"', 'sync "$tmp"');
  if (step.validate) {
    if (!step.validate.includes('%s')) throw new Error(`validate command must contain %s for the temp file: ${step.validate}`);
    lines.push(`${step.validate.split('%s').join('"$tmp"')} || { echo "validation failed: ${step.validate.replace(/["$`\\]/g, '')}" >&2; exit 3; }`);
  }
  if (step.backup) lines.push(`if [ -e ${target} ]; then cp -p ${target} ${target}."$(date +%Y%m%d%H%M%S)"~; fi`);
  lines.push(`mv -f "$tmp" ${target}`, 'trap - EXIT');
  return { command: lines.join('\n'), stdin: step.content };
}

export function stdinText(stdin: string | Buffer | Secret | undefined): string | Buffer | undefined {
  if (stdin === undefined) return undefined;
  return isSecret(stdin) ? stdin.reveal() : stdin;
}
