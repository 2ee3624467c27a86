// What an operator's Ctrl-C (or a SIGTERM) asks of a run under way. The first signal stops it
// gently: no task starts any more, the steps under way may finish (or are killed after a grace
// period), the recap is printed and the hosts not done go to the retry file. The second one aborts
// at once: connections are closed, which every write on a host takes as "incomplete" (framed
// content), so no file is left half-written.

export type Stage = 'running' | 'stopping' | 'aborted';

export class RunControl {
  #stage: Stage = 'running';
  #signal: string | undefined;
  readonly #onKill: Array<() => void> = [];
  readonly #onAbort: Array<() => void> = [];

  get stage(): Stage {
    return this.#stage;
  }

  /** True once a signal asked the run to stop: no new task may start. */
  get stopping(): boolean {
    return this.#stage !== 'running';
  }

  /** The signal that stopped the run. */
  get signal(): string | undefined {
    return this.#signal;
  }

  /** Called when the steps under way must be killed (the grace period is over). */
  onKill(fn: () => void): void {
    this.#onKill.push(fn);
  }

  /** Called when the run must end at once. */
  onAbort(fn: () => void): void {
    this.#onAbort.push(fn);
  }

  /** First signal: stop gently, killing what still runs after `graceMs`. Second: abort. */
  signalled(signal: string, graceMs: number): 'stopping' | 'aborted' {
    if (this.#stage === 'running') {
      this.#stage = 'stopping';
      this.#signal = signal;
      setTimeout(() => this.kill(), graceMs).unref();
      return 'stopping';
    }
    this.abort();
    return 'aborted';
  }

  kill(): void {
    for (const fn of this.#onKill) fn();
  }

  abort(): void {
    if (this.#stage === 'aborted') return;
    this.#stage = 'aborted';
    this.kill();
    for (const fn of this.#onAbort) fn();
  }
}
