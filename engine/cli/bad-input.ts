// What is the user's mistake (exit 5, a short message) rather than the engine's (exit 1, a stack
// trace to report): problems of the playbook, the inventory, a host pattern or the command line.
// A playbook and an inventory are loaded together: when both are wrong, both are said.
import { CommanderError } from 'commander';
import { InputError } from '../errors.ts';
import { InventoryError, PatternError } from '../inventory/index.ts';

export function isBadInput(err: unknown): boolean {
  if (err instanceof AggregateError) return err.errors.length > 0 && err.errors.every(isBadInput);
  return err instanceof InputError || err instanceof InventoryError || err instanceof PatternError || (err instanceof CommanderError && err.exitCode !== 0);
}

/** The message of a bad-input error; one per line for several. */
export function badInputMessage(err: unknown): string {
  if (err instanceof AggregateError) return err.errors.map(badInputMessage).join('\n');
  return (err as Error).message;
}

/** Throws the failures of steps that ran side by side: the bugs first, else every bad input at once. */
export function throwAll(failures: unknown[]): void {
  if (failures.length === 0) return;
  const bug = failures.find((f) => !isBadInput(f));
  if (bug !== undefined) throw bug;
  throw failures.length === 1 ? failures[0] : new AggregateError(failures, 'bad input');
}
