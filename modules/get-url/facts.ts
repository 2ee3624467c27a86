// Whether a program is on the host's PATH, keyed `program:NAME`: what a module that runs a tool
// (git, certbot, curl) checks before planning to run it. An installing task (apt) may predict it.
import { quote } from '../../engine/quote.ts';
import { defineFact, type Fact } from '../../engine/facts/types.ts';

export interface ProgramFact {
  exists: boolean;
  /** Where `command -v` found it; null when absent or predicted. */
  path: string | null;
}

export function programFact(name: string): Fact<ProgramFact> {
  if (!/^[\w.+-]+$/.test(name)) throw new Error(`program name ${JSON.stringify(name)} is not a plain command name`);
  // sbin is on root's PATH but maybe not a login user's: look there too.
  const script = `PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; command -v ${quote(name)} || true`;
  return defineFact<ProgramFact>(`program:${name}`, script, (out) => {
    const path = out.trim().split('\n')[0] ?? '';
    return path.startsWith('/') ? { exists: true, path } : { exists: false, path: null };
  });
}
