// The one way a step without an announced change says it changed something (RunStep.reportsChange):
// the command prints a stamp read before and after its work, and the engine compares the two. Both
// halves live here so the module that prints and the engine that reads cannot drift apart.
import type { StampChange } from './types.ts';

const NAME = /^[a-z][a-z0-9]*$/;

function checked(stamp: string): string {
  if (!NAME.test(stamp)) throw new Error(`a stamp name is lowercase letters and digits: ${JSON.stringify(stamp)}`);
  return stamp;
}

/** Shell that prints the two stamp lines: `before` and `after` are shell words ("$b", "$(cmd)"). */
export function printStamps(stamp: string, before: string, after: string): string {
  const name = checked(stamp);
  return `printf '${name}-before=%s\\n${name}-after=%s\\n' ${before} ${after}`;
}

/** Whether the run changed something: the two lines differ, or one is missing (it cannot be ruled out). */
export function stampChanged(change: StampChange, stdout: string): boolean {
  const name = checked(change.stamp);
  const before = new RegExp(`^${name}-before=(.*)$`, 'm').exec(stdout)?.[1];
  const after = new RegExp(`^${name}-after=(.*)$`, 'm').exec(stdout)?.[1];
  return before === undefined || after === undefined || before !== after;
}
