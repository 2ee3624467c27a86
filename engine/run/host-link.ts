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
    const result = await this.connection.exec(command, { stdin: opts.stdin, become, timeoutMs: opts.timeoutMs });
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
