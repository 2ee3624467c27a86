// cron: named jobs in a user's crontab (written whole through `crontab -u USER -`) or in a file of
// /etc/cron.d (written atomically, the user in the line). Each job is the line below a marker
// comment `#shipshape: NAME`, so a job is found again by its name whatever its schedule became.
// Environment lines (NAME=value) are kept at the top, before the jobs.
import { crontabFact } from './facts.ts';
import { fileFact } from '../../engine/facts/file.ts';
import { userFact } from '../../engine/facts/user.ts';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type Plan } from '../../engine/plan/types.ts';
import { Choice, Type, UserName } from '../../engine/schema.ts';
import { attributeFacts } from '../shared/attributes.ts';
import { contentOf, planWrite } from '../shared/content.ts';

const CRON_D_ATTRS = { mode: '0644', owner: 'root', group: 'root' };

const FIELD = '^[^\\s]+$';
const field = (what: string) => Type.Optional(Type.String({ pattern: FIELD, minLength: 1, description: `${what} field of the schedule (cron syntax: '*', '5', '*/10', '1-5'...). Default '*'.` }));
const SPECIAL = ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'] as const;

const params = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[^\\n\\r]*[^\\s][^\\n\\r]*$', description: 'Name of the job: the marker comment `#shipshape: NAME` above its line. Unique per crontab.' }),
    job: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\n\\r]+$', description: 'The command line run by cron (shell text, one line; % must be escaped as \\% for cron). Required with state present.' })),
    state: Type.Optional(Choice(['present', 'absent'], { default: 'present', description: 'present: the job is there, as given; absent: the job (found by name) is removed.' })),
    user: Type.Optional(UserName({ description: "Whose crontab (or, with cronFile, which user runs the job). Default 'root'." })),
    minute: field('Minute'),
    hour: field('Hour'),
    day: field('Day of month'),
    month: field('Month'),
    weekday: field('Day of week'),
    specialTime: Type.Optional(Choice(SPECIAL, { description: "Instead of the five fields: @reboot, @daily, @hourly... ('reboot', 'daily'...)." })),
    cronFile: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'Put the job in /etc/cron.d/CRONFILE (mode 0644, root) instead of the user crontab; letters, digits, - and _ only (cron ignores other names). An absent last job removes the file.' }),
    ),
    environment: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String({ pattern: '^[^\\n\\r]*$' }), {
        description: "Environment lines kept at the top of the crontab or cron file, e.g. { MAILTO: '', PATH: '/usr/bin:/bin' }. A changed value replaces the line; other lines are left alone.",
      }),
    ),
  },
  { additionalProperties: false },
);

const RANGES = { minute: [0, 59], hour: [0, 23], day: [1, 31], month: [1, 12], weekday: [0, 7] } as const;
const NAMES: Partial<Record<keyof typeof RANGES, readonly string[]>> = {
  month: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  weekday: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

/** Why cron would not read `value` as this schedule field ('*', '5', '1-5', '*\/10', '1,15', 'mon-fri'), or undefined. */
export function cronFieldProblem(field: keyof typeof RANGES, value: string): string | undefined {
  const [min, max] = RANGES[field];
  const names = NAMES[field] ?? [];
  const number = (v: string): number | undefined => (/^\d+$/.test(v) ? Number(v) : names.includes(v.toLowerCase()) ? names.indexOf(v.toLowerCase()) + min : undefined);
  for (const item of value.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!m || (m[2] !== undefined && Number(m[2]) < 1)) return `'${value}' is not a cron ${field} field ('*', '5', '1-5', '*/10', '1,15'${names.length ? `, '${names[1]}'` : ''})`;
    if (m[1] === '*') continue;
    const [from, to, extra] = m[1]!.split('-');
    const a = number(from!);
    const b = to === undefined ? a : number(to);
    if (extra !== undefined || a === undefined || b === undefined) return `'${value}' is not a cron ${field} field ('*', '5', '1-5', '*/10', '1,15'${names.length ? `, '${names[1]}'` : ''})`;
    for (const n of [a, b]) if (n < min || n > max) return `${n}${item === String(n) && item === value ? '' : ` in '${value}'`} is out of range: ${field}s are ${min}-${max}`;
    if (a > b) return `range ${m[1]} in '${value}' runs backwards`;
  }
  return undefined;
}

export interface CronJob {
  name: string;
  state?: 'present' | 'absent';
  /** The job line (schedule, user for cron.d, command); required for present. */
  line?: string;
  environment?: Record<string, string>;
}

export const MARKER = '#shipshape: ';

function splitLines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** Edits crontab text: the environment lines, then the named job. Returns the new text and what changed. */
export function editCrontab(text: string, job: CronJob): { text: string; what: string[] } {
  const lines = splitLines(text);
  const what: string[] = [];
  for (const [name, value] of Object.entries(job.environment ?? {})) {
    // cron reads `NAME=` as a broken job line: an empty value (or one with edge blanks) is quoted.
    const wanted = `${name}=${value === '' || /^\s|\s$/.test(value) ? `"${value}"` : value}`;
    const i = lines.findIndex((l) => new RegExp(`^\\s*${name}\\s*=`).test(l));
    // A line that already gives the value as cron reads it (`MAILTO=''`, `PATH = "/usr/bin:/bin"`) is kept.
    if (i !== -1 && envValue(lines[i]!) === value) continue;
    if (i === -1) {
      // After the leading comments (crontab's own header), before any job.
      let at = 0;
      while (at < lines.length && lines[at]!.startsWith('#') && !lines[at]!.startsWith(MARKER)) at++;
      // Keep the environment lines together, in the given order.
      while (at < lines.length && /^\s*[A-Za-z_][A-Za-z0-9_]*\s*=/.test(lines[at]!)) at++;
      lines.splice(at, 0, wanted);
      what.push(`environment ${name}`);
    } else if (lines[i] !== wanted) {
      lines[i] = wanted;
      what.push(`environment ${name}`);
    }
  }
  const marker = `${MARKER}${job.name}`;
  const at = lines.indexOf(marker);
  const hasLine = at !== -1 && at + 1 < lines.length && !lines[at + 1]!.startsWith(MARKER);
  if ((job.state ?? 'present') === 'absent') {
    if (at !== -1) {
      lines.splice(at, hasLine ? 2 : 1);
      what.push(`job ${job.name}`);
    }
  } else if (at === -1) {
    lines.push(marker, job.line!);
    what.push(`job ${job.name}`);
  } else if (!hasLine) {
    lines.splice(at + 1, 0, job.line!);
    what.push(`job ${job.name}`);
  } else if (lines[at + 1] !== job.line) {
    lines[at + 1] = job.line!;
    what.push(`job ${job.name}`);
  }
  return { text: lines.length === 0 ? '' : `${lines.join('\n')}\n`, what };
}

/**
 * The value of an environment line as cron reads it (load_env): blanks around the = and at the end
 * dropped, then one pair of matching quotes, ' or ", taken off.
 */
export function envValue(line: string): string {
  const v = line.slice(line.indexOf('=') + 1).trim();
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0] ? v.slice(1, -1) : v;
}

/** The job line: the schedule (or @special), the user for cron.d files, the command. */
export function jobLine(p: { job?: string; specialTime?: string; minute?: string; hour?: string; day?: string; month?: string; weekday?: string }, user?: string): string {
  const schedule = p.specialTime ? `@${p.specialTime}` : [p.minute, p.hour, p.day, p.month, p.weekday].map((f) => f ?? '*').join(' ');
  return [schedule, ...(user ? [user] : []), p.job].join(' ');
}

/** Whether a crontab text still holds a job line (not a comment, blank or environment line). */
function hasJobs(text: string): boolean {
  return splitLines(text).some((l) => l.trim() !== '' && !l.trimStart().startsWith('#') && !/^\s*[A-Za-z_][A-Za-z0-9_]*\s*=/.test(l));
}

export const cron = defineModule({
  name: 'cron',
  summary: 'Manage a named cron job (and environment lines) in a user crontab or an /etc/cron.d file.',
  doc: [
    'Each job sits below a marker comment `#shipshape: NAME`: the job is found by its name, so a',
    'changed schedule or command replaces the line instead of adding a second one. Schedule fields',
    "default to '*'; specialTime gives @reboot, @daily... The user crontab is read with `crontab -l`",
    'and written whole with `crontab -u USER -` (crontab installs it atomically); with cronFile the',
    'job goes in /etc/cron.d/CRONFILE (root, 0644) with the user in the line. The diff shows the',
    'crontab before and after. environment sets NAME=value lines at the top (MAILTO, PATH...).',
    '',
    "  cron({ name: 'certbot renew', minute: '0', hour: '3', job: 'certbot renew --quiet && systemctl restart coturn' })",
    "  cron({ name: 'backup', cronFile: 'backup', user: 'backup', specialTime: 'daily', job: '/usr/local/bin/backup', environment: { MAILTO: '' } })",
  ].join('\n'),
  params,
  prepare(p) {
    if ((p.state ?? 'present') === 'present' && p.job === undefined) throw new PrepareError('state present needs job', 'job');
    if (p.specialTime && [p.minute, p.hour, p.day, p.month, p.weekday].some((f) => f !== undefined)) {
      throw new PrepareError('give specialTime or the schedule fields (minute, hour, day, month, weekday), not both', 'specialTime');
    }
    // A field cron cannot read would be refused by `crontab -` on the host, after others changed.
    for (const name of ['minute', 'hour', 'day', 'month', 'weekday'] as const) {
      const problem = p[name] === undefined ? undefined : cronFieldProblem(name, p[name]);
      if (problem) throw new PrepareError(problem, name);
    }
  },
  facts(p) {
    const user = p.user ?? 'root';
    return p.cronFile ? [userFact(user), fileFact(`/etc/cron.d/${p.cronFile}`), ...attributeFacts(CRON_D_ATTRS)] : [userFact(user), crontabFact(user)];
  },
  plan(p, ctx): Plan {
    const user = p.user ?? 'root';
    const state = p.state ?? 'present';
    if (!ctx.facts.get(userFact(user)).exists) {
      if (state === 'absent' && !p.cronFile) return { changes: [], steps: [], msg: `user ${user} does not exist` };
      throw new PlanError(`user '${user}' does not exist on this host, and no earlier task creates it`);
    }
    const job: CronJob = { name: p.name, state, environment: p.environment, line: p.job === undefined ? undefined : jobLine(p, p.cronFile ? user : undefined) };

    if (p.cronFile) {
      const path = `/etc/cron.d/${p.cronFile}`;
      const current = ctx.facts.get(fileFact(path));
      if (current.exists && current.content === undefined) throw new PlanError(`cannot edit ${path}: not a small UTF-8 text file`);
      const before = current.exists ? current.content! : '';
      if (!current.exists && state === 'absent') return { changes: [], steps: [] };
      const edit = editCrontab(before, job);
      if (state === 'absent' && current.exists && !hasJobs(edit.text)) {
        return {
          changes: [{ what: `file ${path}`, text: { path, before, after: '' }, before: 'present', after: 'absent' }],
          steps: [{ kind: 'remove', path }],
          after: predictions(predict(fileFact(path), { exists: false, type: null, mode: null, owner: null, group: null, size: null, sha256: null, linkTarget: null })),
          msg: `${path} removed (no job left)`,
        };
      }
      const wanted = CRON_D_ATTRS;
      if (edit.what.length === 0) return { ...planWrite(path, current, 'keep', wanted, ctx), msg: undefined };
      const plan = planWrite(path, current, contentOf(edit.text), wanted, ctx, { what: edit.what.join(', ') });
      return { ...plan, msg: edit.what.join(', ') };
    }

    const current = ctx.facts.get(crontabFact(user));
    const edit = editCrontab(current.content, job);
    if (edit.what.length === 0) return { changes: [], steps: [] };
    const change: Change = { what: edit.what.join(', '), text: { path: `crontab -u ${user}`, before: current.content, after: edit.text } };
    return {
      changes: [change],
      // crontab reads the whole new table on stdin and installs it atomically.
      steps: [{ kind: 'run', argv: ['crontab', '-u', user, '-'], stdin: edit.text }],
      after: predictions(predict(crontabFact(user), { exists: true, content: edit.text })),
      msg: edit.what.join(', '),
    };
  },
});
