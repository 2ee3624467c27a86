// A user's crontab as `crontab -l` prints it, keyed `crontab:USER`. No crontab reads as empty
// text; a user the host does not know reads as `exists: false` (a user an earlier task creates
// is then planned with an empty crontab). The cron module predicts this same shape.
import { quote } from '../../engine/quote.ts';
import { defineFact, type Fact } from '../../engine/facts/types.ts';

export interface CrontabFact {
  /** The user exists on the host. */
  exists: boolean;
  /** The crontab's text ('' when the user has none). */
  content: string;
}

export function crontabFact(user: string): Fact<CrontabFact> {
  const u = quote(user);
  // stderr is captured apart from the text (fd 3 carries stdout past the capture): "no crontab
  // for USER" means empty, any other failure is an error.
  const script = [
    `getent passwd -- ${u} >/dev/null || { echo nouser; exit 0; }`,
    'echo crontab',
    `{ err=$(crontab -l -u ${u} 2>&1 >&3 3>&-); rc=$?; } 3>&1`,
    'if [ "$rc" -ne 0 ]; then case "$err" in *"no crontab for"*) exit 0 ;; *) printf \'%s\\n\' "$err" >&2; exit 1 ;; esac; fi',
  ].join('\n');
  return defineFact<CrontabFact>(`crontab:${user}`, script, (out, code) => parseCrontab(user, out, code));
}

export function parseCrontab(user: string, out: string, code: number): CrontabFact {
  if (out.startsWith('nouser')) return { exists: false, content: '' };
  if (code !== 0 || !out.startsWith('crontab\n')) throw new Error(`cannot read the crontab of ${user} (exit ${code})`);
  return { exists: true, content: out.slice('crontab\n'.length) };
}
