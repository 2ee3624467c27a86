// --json: every event as one JSON line on stdout. Secrets are Secret objects (serialized as ***)
// and any known secret value left in a string is masked as well, before serialising (maskDeep: a
// secret holding a quote or a backslash would no longer match once JSON had escaped it). Command
// events and detail messages only with -v.
import { maskDeep } from '../secret.ts';
import type { EngineEvent, Listener } from './events.ts';

export function jsonLines(out: NodeJS.WritableStream, verbose: boolean): Listener {
  return (event: EngineEvent) => {
    if ((event.type === 'command' || (event.type === 'message' && event.detail)) && !verbose) return;
    out.write(`${JSON.stringify(maskDeep({ ...event, time: new Date().toISOString() }))}\n`);
  };
}
