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
import { runExec } from './exec.ts';
import type { Connection, ConnectionStats, ConnectOptions, ConnectTarget, ExecOptions, ExecResult, PublicKeyId } from './types.ts';

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
    return this.#channels.add(() => runExec(this.#client, this.name, command, opts, this.stats, (pid, become) => this.#killRemote(pid, become)));
  }

  /** After a timeout: KILL the command's shell and its children, as the same user it ran as. Best effort. */
  #killRemote(pid: number, become: ExecOptions['become']): void {
    if (this.#closed || this.#lost) return;
    // Children are listed before the shell dies, since they are reparented after.
    const script = `kids=$(pgrep -P ${pid} 2>/dev/null | tr '\\n' ' '); kill -KILL ${pid} $kids 2>/dev/null; true`;
    runExec(this.#client, this.name, script, { become, timeoutMs: 10_000 }, this.stats).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#open.end();
  }
}
