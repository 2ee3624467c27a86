// lineinfile: make sure one line is in a file (or no line matching a pattern is), with Ansible's
// semantics: the last line matching regexp is replaced; otherwise the line goes after/before the
// last line matching insertafter/insertbefore, or at the end. The edit happens on the controller
// against the file's content fact; the result is written atomically like copy.
import { defineModule, PrepareError } from '../../engine/module.ts';
import { fileFact } from '../../engine/facts/file.ts';
import type { Plan } from '../../engine/plan/types.ts';
import { SecretString, Type } from '../../engine/schema.ts';
import { isSecret } from '../../engine/secret.ts';
import { Choice } from '../../engine/schema.ts';
import { folderFacts } from '../shared/new-path.ts';
import { attributeFacts, attributeParams } from '../shared/attributes.ts';
import { checkValidate, editableText, planEdit, writeParams } from '../shared/content.ts';

const params = Type.Object(
  {
    path: Type.String({ pattern: '^/', description: 'Absolute path of the file on the host.' }),
    line: Type.Optional(
      SecretString({ description: 'The line that must be present (state present), or removed (state absent, without regexp). May be a secret: the diff is then not shown.' }),
    ),
    regexp: Type.Optional(
      Type.String({
        description:
          'A regular expression searched in each line. present: the last matching line is replaced by line; absent: every matching line is removed. Python (?P<name>...) groups are accepted.',
      }),
    ),
    state: Type.Optional(Choice(['present', 'absent'], { default: 'present', description: 'present: the line is in the file; absent: no line matches.' })),
    insertafter: Type.Optional(
      Type.String({ description: "When no line matches: insert after the last line matching this regular expression, or 'EOF' (the default) / 'BOF'. Not found: at the end." }),
    ),
    insertbefore: Type.Optional(
      Type.String({ description: "When no line matches: insert before the last line matching this regular expression, or 'BOF'. Not found: at the end." }),
    ),
    firstmatch: Type.Optional(Type.Boolean({ description: 'Use the first line matching regexp / insertafter / insertbefore instead of the last. Default false.' })),
    backrefs: Type.Optional(
      Type.Boolean({
        description:
          'line may use \\1 or \\g<name> for groups of regexp. When regexp matches nothing the file is left unchanged (insertafter/insertbefore are ignored). Default false.',
      }),
    ),
    create: Type.Optional(Type.Boolean({ description: 'state present: create the file (and its folder) when it does not exist. Default false: a missing file is an error.' })),
    ...attributeParams,
    ...writeParams,
  },
  { additionalProperties: false },
);

export interface LineEdit {
  line?: string;
  regexp?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  firstmatch?: boolean;
  backrefs?: boolean;
}

/** A Python-style pattern as a JS RegExp: (?P<n>...) and (?P=n) translated. */
export function compilePattern(pattern: string, field: string): RegExp {
  const js = pattern.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  try {
    return new RegExp(js);
  } catch (err) {
    throw new PrepareError(`${field} is not a valid regular expression: ${(err as Error).message}`, field);
  }
}

/** Python's match.expand: \1..\99, \g<1>, \g<name>, \n, \t, \\. */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(?:g<(\w+)>|(\d{1,2})|([nt\\]))/g, (_all, g: string | undefined, n: string | undefined, esc: string | undefined) => {
    if (esc) return esc === 'n' ? '\n' : esc === 't' ? '\t' : '\\';
    const ref = g ?? n!;
    const value = /^\d+$/.test(ref) ? m[Number(ref)] : m.groups?.[ref];
    return value ?? '';
  });
}

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function bare(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

/** Applies the edit to the text; `msg` says what happened ('line added', 'line replaced', '2 line(s) removed') or is empty. */
export function editLines(text: string, e: LineEdit): { text: string; msg: string } {
  const lines = splitLines(text);
  const re = e.regexp !== undefined ? compilePattern(e.regexp, 'regexp') : undefined;

  if ((e.state ?? 'present') === 'absent') {
    const kept = lines.filter((l) => (re ? !re.test(bare(l)) : bare(l) !== e.line));
    const removed = lines.length - kept.length;
    return { text: kept.join(''), msg: removed > 0 ? `${removed} line(s) removed` : '' };
  }

  const line = e.line!;
  // 1. The line matching regexp (the last one, or the first with firstmatch).
  let found = -1;
  let match: RegExpExecArray | undefined;
  if (re) {
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(bare(lines[i]!));
      if (m) {
        found = i;
        match = m;
        if (e.firstmatch) break;
      }
    }
  }
  // 2. No regexp match: the line itself, already present anywhere, counts as found.
  const anchorPattern = e.insertafter && e.insertafter !== 'EOF' && e.insertafter !== 'BOF' ? e.insertafter : e.insertbefore && e.insertbefore !== 'BOF' ? e.insertbefore : undefined;
  const anchor = anchorPattern !== undefined ? compilePattern(anchorPattern, e.insertafter ? 'insertafter' : 'insertbefore') : undefined;
  let insertAt = -1;
  if (!match) {
    if (!e.backrefs) for (let i = 0; i < lines.length; i++) if (bare(lines[i]!) === line) found = i;
    if (anchor) {
      for (let i = 0; i < lines.length; i++) {
        if (bare(lines[i]!) !== line && anchor.test(bare(lines[i]!))) {
          insertAt = e.insertafter ? i + 1 : i;
          if (e.firstmatch) break;
        }
      }
    }
  }

  if (found !== -1) {
    // The replaced line keeps its own ending (CRLF stays CRLF); a last line without one gets \n.
    const old = lines[found]!;
    const ending = old.endsWith('\r\n') ? '\r\n' : '\n';
    const wanted = `${e.backrefs && match ? expand(line, match) : line}${ending}`;
    if (old === wanted) return { text, msg: '' };
    lines[found] = wanted;
    return { text: lines.join(''), msg: 'line replaced' };
  }
  // backrefs without a match: the line cannot be built, leave the file alone.
  if (e.backrefs) return { text, msg: '' };
  if (e.insertbefore === 'BOF' || e.insertafter === 'BOF') {
    lines.unshift(`${line}\n`);
  } else if (insertAt === -1 || e.insertafter === 'EOF') {
    const last = lines[lines.length - 1];
    if (last !== undefined && !last.endsWith('\n')) lines[lines.length - 1] = `${last}\n`;
    lines.push(`${line}\n`);
  } else {
    const last = lines[lines.length - 1];
    if (insertAt === lines.length && last !== undefined && !last.endsWith('\n')) lines[lines.length - 1] = `${last}\n`;
    lines.splice(insertAt, 0, `${line}\n`);
  }
  return { text: lines.join(''), msg: 'line added' };
}

export const lineinfile = defineModule({
  name: 'lineinfile',
  summary: 'Ensure a line is in a file (replacing the line a regexp matches), or remove matching lines.',
  doc: [
    'Edits one text file (up to 256 KiB) line by line, as Ansible does. present: when regexp matches,',
    'the last matching line (first with firstmatch) is replaced by line; when it does not but line is',
    'already in the file, nothing changes; otherwise line is inserted after the last line matching',
    "insertafter (or before the one matching insertbefore), at the beginning for 'BOF', and at the end",
    'when the anchor matches nothing or by default. absent: every line matching regexp (or equal to',
    'line) is removed. A missing file is an error unless create is set (absent: nothing to do).',
    'Regular expressions are JavaScript ones, searched in each line without its line ending; Python',
    '(?P<name>...) groups are translated. Unlike Ansible, a replaced CRLF line keeps its CRLF ending.',
    'The file is rewritten atomically, with validate and backup.',
    '',
    "  lineinfile({ path: '/etc/ssh/sshd_config', regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no', validate: 'sshd -t -f %s' })",
    "  lineinfile({ path: '/etc/hosts', regexp: '\\\\srelay01$', state: 'absent' })",
  ].join('\n'),
  params,
  prepare(p) {
    checkValidate(p.validate);
    const state = p.state ?? 'present';
    if (state === 'present' && p.line === undefined) throw new PrepareError('state present needs line', 'line');
    if (state === 'absent' && p.line === undefined && p.regexp === undefined) throw new PrepareError('state absent needs regexp or line', 'regexp');
    if (p.insertafter !== undefined && p.insertbefore !== undefined) throw new PrepareError('give insertafter or insertbefore, not both', 'insertbefore');
    if (p.backrefs && p.regexp === undefined) throw new PrepareError('backrefs needs regexp', 'backrefs');
    if (p.regexp !== undefined) compilePattern(p.regexp, 'regexp');
    if (p.insertafter !== undefined && p.insertafter !== 'EOF' && p.insertafter !== 'BOF') compilePattern(p.insertafter, 'insertafter');
    if (p.insertbefore !== undefined && p.insertbefore !== 'BOF') compilePattern(p.insertbefore, 'insertbefore');
  },
  facts: (p) => [fileFact(p.path), ...(p.create ? folderFacts(p.path) : []), ...attributeFacts(p)],
  plan(p, ctx): Plan {
    const state = p.state ?? 'present';
    const current = ctx.facts.get(fileFact(p.path));
    const editable = editableText(p.path, current, state, p.create);
    if ('plan' in editable) return editable.plan;
    const before = editable.text;
    const sensitive = isSecret(p.line);
    const edit = editLines(before, { ...p, line: isSecret(p.line) ? p.line.reveal() : p.line });
    return planEdit(p.path, current, before, edit, sensitive, p, ctx);
  },
});
