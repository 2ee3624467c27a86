// The human view: a line per task result per host as it happens, diffs with --diff, and a recap.
// On a terminal it adds colour and a live status line of the hosts still working; elsewhere it
// prints plain lines only.
import { maskSecrets } from '../secret.ts';
import { renderChanges } from './diff.ts';
import type { EngineEvent, Listener, TaskStatus } from './events.ts';

export interface HumanOptions {
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  diff: boolean;
  verbose: boolean;
  tty: boolean;
}

const COLOURS: Record<TaskStatus | 'title' | 'dim', string> = {
  ok: '32', changed: '33', failed: '31', skipped: '36', unreachable: '35', unknown: '34', title: '1', dim: '2',
};

export function humanView(opts: HumanOptions): Listener {
  const paint = (what: keyof typeof COLOURS, text: string) => (opts.tty ? `\x1b[${COLOURS[what]}m${text}\x1b[0m` : text);
  const working = new Map<string, number>();
  let statusShown = false;

  const write = (text: string) => {
    if (statusShown) opts.out.write('\r\x1b[K');
    opts.out.write(`${maskSecrets(text)}\n`);
    statusShown = false;
    if (opts.tty && working.size > 0) {
      const hosts = [...working].slice(0, 6).map(([h, n]) => `${h} (${n})`).join(' ');
      opts.out.write(paint('dim', `  working: ${hosts}${working.size > 6 ? ` +${working.size - 6}` : ''}`));
      statusShown = true;
    }
  };

  return (event: EngineEvent) => {
    switch (event.type) {
      case 'run.start':
        write(paint('title', `${event.check ? 'DRY RUN' : 'RUN'} ${event.playbook} on ${event.hosts.length} host${event.hosts.length === 1 ? '' : 's'} (${event.inventory})`));
        break;
      case 'play.start':
        for (const h of event.hosts) working.set(h, 0);
        write(paint('title', `\nPLAY [${event.play}] on ${event.hosts.join(', ') || 'no hosts'}`));
        break;
      case 'batch.start':
        write(paint('title', `  batch ${event.batch}: ${event.hosts.join(', ')}`));
        break;
      case 'host.unreachable':
        working.delete(event.host);
        write(`${paint('unreachable', 'UNREACHABLE')} ${event.host}: ${event.error}`);
        break;
      case 'task.result': {
        working.set(event.host, (working.get(event.host) ?? 0) + 1);
        if (event.status === 'failed' || event.status === 'unreachable') working.delete(event.host);
        const status = event.check && event.status === 'changed' ? 'would change' : event.status;
        const label = `${event.handler ? 'handler ' : ''}${event.task}`;
        let line = `${paint(event.status, status.padEnd(12))} ${event.host} | ${label}`;
        if (event.msg && (event.status !== 'ok' || opts.verbose)) line += ` | ${event.msg}`;
        if (opts.verbose) line += paint('dim', ` (${event.ms} ms)`);
        write(line);
        if (opts.diff && event.changes.length > 0) for (const l of renderChanges(event.changes)) write(l);
        break;
      }
      case 'command':
        if (opts.verbose) write(paint('dim', `    $ [${event.host}] ${maskSecrets(event.command).split('\n')[0]} -> ${event.code}`));
        break;
      case 'message':
        if (event.detail && !opts.verbose) break;
        write(`${paint('title', 'MESSAGE')} ${event.host} | ${event.text}`);
        break;
      case 'play.end':
        working.clear();
        if (event.stopped) write(paint('failed', `ROLLOUT STOPPED in play '${event.play}': ${event.stopped}`));
        break;
      case 'recap': {
        write(paint('title', '\nRECAP'));
        const width = Math.max(4, ...Object.keys(event.hosts).map((h) => h.length));
        for (const [host, t] of Object.entries(event.hosts)) {
          const bad = t.failed > 0 || t.unreachable > 0;
          const unfinished = event.unfinished.includes(host) ? '  (unfinished)' : '';
          write(`${paint(bad ? 'failed' : t.changed > 0 ? 'changed' : t.unknown > 0 ? 'unknown' : 'ok', host.padEnd(width))}  ok=${t.ok} changed=${t.changed} failed=${t.failed} skipped=${t.skipped} unreachable=${t.unreachable} ignored=${t.ignored}${t.unknown ? ` unknown=${t.unknown}` : ''}${unfinished}`);
        }
        if (event.retryFile) write(`to retry the hosts not done: --limit @${event.retryFile}`);
        break;
      }
      case 'run.end':
        write(paint('dim', `done in ${(event.ms / 1000).toFixed(1)} s, exit status ${event.exitCode}`));
        break;
      default:
        break;
    }
  };
}
