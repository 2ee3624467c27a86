// One command on one channel of an open ssh2 client: through /bin/sh -c so it is POSIX sh whatever
// the login shell, stdin streamed then closed, optional sudo, optional timeout. Resolves with the exit
// status whatever it is; rejects only when the command could not run to its end.
import type { Client, ClientChannel } from 'ssh2';
import { quote } from '../quote.ts';
import { BecomeWatcher, wrapAnnounced, wrapBecome } from './become.ts';
import { ChannelError, ExecTimeoutError } from './errors.ts';
import type { ConnectionError } from './errors.ts';
import type { ConnectionStats, ExecOptions, ExecResult } from './types.ts';

/** Kills a remote process tree by the pid of its shell, over another channel. */
export type RemoteKill = (pid: number, become: ExecOptions['become']) => void;

/** The remote shells of the execs under way (their pids once announced), so they can be killed. */
export type RunningSet = Set<{ pid?: number; become: ExecOptions['become'] }>;

export function runExec(
  client: Client,
  host: string,
  command: string,
  opts: ExecOptions,
  stats: ConnectionStats,
  killRemote?: RemoteKill,
  running?: RunningSet,
): Promise<ExecResult> {
  // The marker line (see become.ts) is needed for sudo, and for a timeout to learn what to kill.
  const wrap = opts.become ? wrapBecome(command) : opts.timeoutMs !== undefined && killRemote ? wrapAnnounced(command) : undefined;
  const wire = `/bin/sh -c ${quote(wrap ? wrap.command : command)}`;

  return new Promise((resolve, reject) => {
    client.exec(wire, (err, channel) => {
      if (err) return reject(new ChannelError(host, `could not open a channel on ${host}: ${err.message}`));
      stats.execs += 1;
      stats.bytesSent += Buffer.byteLength(command);

      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let exit: { code: number | null; signal?: string } | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;

      const fail = (error: ConnectionError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        kill(channel);
        reject(error);
      };

      const watcher = wrap
        ? new BecomeWatcher(wrap, opts.become?.password, host, (line) => channel.write(line))
        : undefined;
      let ready = !watcher;
      let remotePid: number | undefined;
      const entry = { pid: undefined as number | undefined, become: opts.become };
      running?.add(entry);
      channel.on('close', () => running?.delete(entry));

      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          fail(new ExecTimeoutError(host, `command on ${host} timed out after ${opts.timeoutMs} ms and was killed`));
          // The signal request in kill() does not reach root logins or sudo'ed commands; this does.
          if (remotePid !== undefined) killRemote?.(remotePid, opts.become);
        }, opts.timeoutMs);
      }

      channel.on('data', (chunk: Buffer) => {
        stats.bytesReceived += chunk.length;
        stdout.push(chunk);
        opts.onStdout?.(chunk);
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        stats.bytesReceived += chunk.length;
        if (ready) return void stderr.push(chunk);
        const step = watcher!.feed(chunk);
        if (step.state === 'failed') return fail(step.error);
        if (step.state === 'ready') {
          ready = true;
          remotePid = step.pid;
          entry.pid = step.pid;
          if (step.stderr.length) stderr.push(step.stderr);
          sendStdin(channel, opts.stdin, stats, (e) => fail(new ChannelError(host, `stdin for the command on ${host} failed: ${e.message}`)));
        }
      });
      channel.on('exit', (code: number | null, signal?: string) => {
        exit = signal ? { code: null, signal } : { code };
      });
      channel.on('close', () => {
        if (settled) return;
        if (!ready) {
          if (opts.become) return fail(watcher!.closedEarly(exit?.code ?? null));
          return fail(new ChannelError(host, `command on ${host} ended before its shell started (exit ${exit?.code ?? 'none'})`));
        }
        if (!exit) return fail(new ChannelError(host, `connection to ${host} was lost while the command ran`));
        settled = true;
        clearTimeout(timer);
        resolve({ ...exit, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
      });

      if (ready) sendStdin(channel, opts.stdin, stats, (e) => fail(new ChannelError(host, `stdin for the command on ${host} failed: ${e.message}`)));
    });
  });
}

function sendStdin(channel: ClientChannel, stdin: ExecOptions['stdin'], stats: ConnectionStats, onError: (e: Error) => void): void {
  if (stdin === undefined) return void channel.end();
  if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) {
    const data = Buffer.from(stdin);
    stats.bytesSent += data.length;
    return void channel.end(data);
  }
  stdin.on('data', (chunk: Buffer | string) => {
    stats.bytesSent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  });
  stdin.on('error', onError);
  stdin.pipe(channel); // pipe ends the channel (EOF) when the source ends, and honours backpressure
}

/**
 * Stops the remote command: KILL to its process group (OpenSSH >= 7.9 honours signal requests), then
 * close the channel. ssh2's channel.signal() silently does nothing once we have sent EOF, which is
 * always the case here (stdin ends early), so the request goes through the protocol object directly.
 */
function kill(channel: ClientChannel): void {
  const ch = channel as unknown as SignalInternals;
  try {
    if (ch.outgoing?.state === 'open' || ch.outgoing?.state === 'eof') ch._client?._protocol?.signal(ch.outgoing.id, 'KILL');
  } catch {
    // the channel may already be closing
  }
  channel.close();
}

interface SignalInternals {
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { signal(id: number, name: string): void } };
}
