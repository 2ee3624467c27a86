// A Connection: one ssh2 client per host for the whole run, one channel per exec, with counters
// tests use to prove how many round trips a play costs.

/**
 * Channels open at once per connection. OpenSSH refuses more than MaxSessions (default 10) sessions
 * per connection, so callers may exec in parallel freely and the excess waits here; two stay free
 * for the kill a timeout sends.
 */
const MAX_CHANNELS = 8;
import PQueue from 'p-queue';
import type { Client } from 'ssh2';
import { ChannelError } from './errors.ts';
import { openClient } from './client.ts';
import type { OpenClient } from './client.ts';
import { runExec, type RunningSet } from './exec.ts';
import type { Connection, ConnectionStats, ConnectOptions, ConnectTarget, ExecOptions, ExecResult, PublicKeyId } from './types.ts';

/** The process group of `pid` (from /proc, no procps needed), TERM then KILL. */
export function killGroupScript(pid: number): string {
  return [
    `read -r s < /proc/${pid}/stat 2>/dev/null || exit 0`,
    's=${s##*) }; set -- $s; g=$3',
    '[ -n "$g" ] && [ "$g" -gt 1 ] || exit 0',
    // dash's kill takes no `--`: -SIGNAL then the negative group id.
    'kill -TERM "-$g" 2>/dev/null || exit 0',
    'sleep 2; kill -KILL "-$g" 2>/dev/null; exit 0',
  ].join('\n');
}

export async function connect(target: ConnectTarget, opts: ConnectOptions): Promise<Connection> {
  return new SshConnection(target.name, await openClient(target, opts));
}

class SshConnection implements Connection {
  readonly name: string;
  readonly loginKeys: readonly PublicKeyId[];
  readonly stats: ConnectionStats = { execs: 0, bytesSent: 0, bytesReceived: 0 };
  readonly #open: OpenClient;
  readonly #client: Client;
  readonly #channels = new PQueue({ concurrency: MAX_CHANNELS });
  readonly #running: RunningSet = new Set();
  readonly #kills = new Set<Promise<void>>();
  #closed = false;
  #lost = false;

  constructor(name: string, open: OpenClient) {
    this.name = name;
    this.loginKeys = open.loginKeys;
    this.#open = open;
    this.#client = open.client;
    this.#client.on('close', () => {
      this.#lost = true;
    });
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.#closed) return Promise.reject(new ChannelError(this.name, `connection to ${this.name} is closed`));
    if (this.#lost) return Promise.reject(new ChannelError(this.name, `connection to ${this.name} was lost`));
    return this.#channels.add(() => runExec(this.#client, this.name, command, opts, this.stats, (pid, become) => this.#killRemote(pid, become), this.#running));
  }

  killRunning(): void {
    for (const { pid, become } of this.#running) if (pid !== undefined) this.#killRemote(pid, become);
  }

  /**
   * After a timeout: the command's whole process group (every process of that exec: the shell,
   * sudo, what they started) gets TERM, so scripts run their EXIT traps and remove their temp files,
   * then KILL two seconds later. Run as the user the command ran as. Best effort.
   */
  #killRemote(pid: number, become: ExecOptions['become']): void {
    if (this.#closed || this.#lost) return;
    const kill = runExec(this.#client, this.name, killGroupScript(pid), { become, timeoutMs: 10_000 }, this.stats).then(
      () => undefined,
      () => undefined,
    );
    // close() waits for it: a run that ends right after a timeout must still kill what timed out.
    this.#kills.add(kill);
    void kill.finally(() => this.#kills.delete(kill));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#kills.size > 0 && !this.#lost) await Promise.race([Promise.all(this.#kills), new Promise((r) => setTimeout(r, 5000).unref())]);
    this.#closed = true;
    await this.#open.end();
  }
}
