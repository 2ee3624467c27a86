// One host's connection as the runner sees it: exec with become, each command reported as a
// 'command' event (masked) so the log file holds every command run and its result.
import type { Connection, ExecResult } from '../connection/types.ts';
import type { InventoryHost } from '../inventory/types.ts';
import type { EventBus } from '../report/events.ts';
import { maskSecrets } from '../secret.ts';

const LOGGED_OUTPUT = 8192;

/** What a command event says of output it does not log. */
export function notLogged(output: Buffer): string {
  return `(${output.length} bytes, not logged)`;
}

export interface LinkExecOptions {
  stdin?: Buffer | string | NodeJS.ReadableStream;
  become?: boolean;
  timeoutMs?: number;
  /** Shown in the log instead of the command text (the gather script is long and says little). */
  label?: string;
  /**
   * false: the command event carries the size of stdout and stderr, not their text. For output that
   * holds the host's state wholesale (fact gathering prints file contents in base64, which masking
   * cannot recognise unless it knows the secret; shadow entries), where the log has no business.
   */
  logOutput?: boolean;
  /** Sees stdout as it arrives (see ExecOptions.onStdout). */
  onStdout?: (chunk: Buffer) => void;
}

export class HostLink {
  constructor(
    readonly host: InventoryHost,
    private connection: Connection,
    private readonly bus: EventBus,
    private readonly reconnectFn: () => Promise<Connection>,
  ) {}

  get stats() {
    return this.connection.stats;
  }

  /** The public keys the engine may have logged in with (see Connection.loginKeys). */
  get loginKeys() {
    return this.connection.loginKeys;
  }

  async exec(command: string, opts: LinkExecOptions = {}): Promise<ExecResult> {
    const started = performance.now();
    const become = opts.become ? { password: this.host.become.password } : undefined;
    let result: ExecResult;
    try {
      result = await this.connection.exec(command, { stdin: opts.stdin, become, timeoutMs: opts.timeoutMs, ...(opts.onStdout ? { onStdout: opts.onStdout } : {}) });
    } catch (err) {
      // A command that timed out or lost its connection is in the log too, with why.
      this.bus.emit({ type: 'command', host: this.host.name, command: maskSecrets(opts.label ?? command), code: null, stdout: '', stderr: maskSecrets((err as Error).message), ms: Math.round(performance.now() - started), become: Boolean(opts.become) });
      throw err;
    }
    this.bus.emit({
      type: 'command',
      host: this.host.name,
      command: maskSecrets(opts.label ?? command),
      code: result.code,
      stdout: opts.logOutput === false ? notLogged(result.stdout) : maskSecrets(result.stdout.subarray(0, LOGGED_OUTPUT).toString()),
      stderr: opts.logOutput === false ? notLogged(result.stderr) : maskSecrets(result.stderr.subarray(0, LOGGED_OUTPUT).toString()),
      ms: Math.round(performance.now() - started),
      become: Boolean(opts.become),
    });
    return result;
  }

  /** Kills the remote commands still running (an interrupted run). */
  killRunning(): void {
    this.connection.killRunning();
  }

  /**
   * Logs in anew, beside the connection in use, and runs `true`: whether the inventory's
   * credentials still get in (after an sshd change). Resolves, or rejects with why not.
   */
  async probeLogin(): Promise<void> {
    const fresh = await this.reconnectFn();
    try {
      const r = await fresh.exec('true', { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`a fresh login ran \`true\` and it exited ${r.code}`);
    } finally {
      await fresh.close().catch(() => {});
    }
  }

  /** Drops the connection and connects again, retrying until the deadline (after a reboot). */
  async reconnect(timeoutMs: number): Promise<void> {
    await this.connection.close().catch(() => {});
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        this.connection = await this.reconnectFn();
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    throw new Error(`${this.host.name} did not come back within ${Math.round(timeoutMs / 1000)} s: ${String((lastError as Error)?.message ?? lastError)}`);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
