// Notified handlers that have not run yet survive a failure. When a changed task notifies a
// handler, the notification is written down on the host before the play goes on; when the handler
// has run, it is crossed out. If the host fails, the run is interrupted or the controller dies in
// between, the next run of the same playbook finds it and runs the handler even though nothing
// changes then (Ansible loses it: the config is new but the service keeps the old one until
// someone notices). Only where the play becomes root: the list is root's.
import { quote } from '../quote.ts';
import { defineFact, type Fact } from '../facts/types.ts';
import type { HostLink } from './host-link.ts';

const DIR = '/var/lib/shipshape';
const FILE = `${DIR}/pending-handlers`;

/** One pending notification: which playbook (by file name), play and handler. */
export interface PendingHandler {
  playbook: string;
  play: string;
  handler: string;
}

export const pendingHandlersFact: Fact<PendingHandler[]> = defineFact<PendingHandler[]>('pending-handlers', `cat ${FILE} 2>/dev/null || true`, (out) =>
  out
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .flatMap((l) => {
      try {
        const e = JSON.parse(l) as PendingHandler;
        return typeof e.playbook === 'string' && typeof e.play === 'string' && typeof e.handler === 'string' ? [e] : [];
      } catch {
        return [];
      }
    }),
);

const line = (e: PendingHandler) => JSON.stringify({ playbook: e.playbook, play: e.play, handler: e.handler });

/** The host's list as the run knows it: read at the first play, then kept in step with the file. */
export class PendingList {
  readonly #lines: Set<string>;
  constructor(initial: readonly PendingHandler[]) {
    this.#lines = new Set(initial.map(line));
  }

  /** The handlers of this play an earlier run notified and never ran. */
  of(playbook: string, play: string): string[] {
    return [...this.#lines].map((l) => JSON.parse(l) as PendingHandler).filter((e) => e.playbook === playbook && e.play === play).map((e) => e.handler);
  }

  /** Writes the notifications down on the host (those not yet there). */
  async add(link: HostLink, entries: PendingHandler[]): Promise<void> {
    const fresh = entries.map(line).filter((l) => !this.#lines.has(l));
    if (fresh.length === 0) return;
    const script = `mkdir -p -m 0700 ${DIR} && printf '%s\\n' ${fresh.map(quote).join(' ')} >> ${FILE}`;
    const r = await link.exec(script, { become: true, label: `remember notified handlers: ${entries.map((e) => e.handler).join(', ')}` });
    if (r.code !== 0) throw new Error(`could not write down the notified handlers on ${link.host.name}: ${r.stderr.toString().trim()}`);
    for (const l of fresh) this.#lines.add(l);
  }

  /** Crosses out handlers that ran. */
  async done(link: HostLink, entries: PendingHandler[]): Promise<void> {
    const gone = entries.map(line).filter((l) => this.#lines.has(l));
    if (gone.length === 0) return;
    for (const l of gone) this.#lines.delete(l);
    const rest = [...this.#lines];
    const script = rest.length === 0 ? `rm -f ${FILE}` : `printf '%s\\n' ${rest.map(quote).join(' ')} > ${FILE}.new && mv -f ${FILE}.new ${FILE}`;
    await link.exec(script, { become: true, label: `handlers ran: ${entries.map((e) => e.handler).join(', ')}` });
  }
}
