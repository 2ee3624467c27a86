// A step that ran and did not do what it had to: the task fails with this message (and the
// command's result, for `register`), the host stops.
import type { ExecResult } from '../connection/types.ts';

export class StepFailed extends Error {
  override name = 'StepFailed';
  constructor(message: string, readonly result?: ExecResult) {
    super(message);
  }
}
