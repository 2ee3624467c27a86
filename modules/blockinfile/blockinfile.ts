// blockinfile: a block of lines kept between two marker lines, with Ansible's semantics. The edit
// happens on the controller against the file's content fact (like lineinfile); the write, the
// attributes, validate and backup are the shared write planning of copy and lineinfile.
import { defineModule, PrepareError } from '../../engine/module.ts';
import { fileFact } from '../../engine/facts/file.ts';
import type { Plan } from '../../engine/plan/types.ts';
import { Choice, SecretString, Type } from '../../engine/schema.ts';
import { isSecret } from '../../engine/secret.ts';
import { folderFacts } from '../shared/new-path.ts';
import { attributeFacts, attributeParams } from '../shared/attributes.ts';
import { checkValidate, editableText, planEdit, writeParams } from '../shared/content.ts';
import { compilePattern } from '../lineinfile/lineinfile.ts';

const NO_NEWLINE = '^[^\\n\\r]*$';

const params = Type.Object(
  {
    path: Type.String({ pattern: '^/', description: 'Absolute path of the file on the host.' }),
    block: Type.Optional(
      SecretString({ description: "The lines kept between the markers (a trailing newline is not needed). Empty with state present removes the block, as in Ansible. May be a secret: the diff is then not shown." }),
    ),
    state: Type.Optional(Choice(['present', 'absent'], { default: 'present', description: 'present: the block is in the file; absent: the block and its markers are removed.' })),
    marker: Type.Optional(
      Type.String({ pattern: NO_NEWLINE, description: "The marker line template; {mark} becomes markerBegin or markerEnd. Default '# {mark} MANAGED BLOCK'. Give each block of a file its own marker." }),
    ),
    markerBegin: Type.Optional(Type.String({ pattern: NO_NEWLINE, description: "What {mark} becomes in the opening marker. Default 'BEGIN'." })),
    markerEnd: Type.Optional(Type.String({ pattern: NO_NEWLINE, description: "What {mark} becomes in the closing marker. Default 'END'." })),
    insertafter: Type.Optional(
      Type.String({ description: "For a block not yet in the file: insert it after the last line matching this regular expression, or 'EOF' (the default). Not found: at the end." }),
    ),
    insertbefore: Type.Optional(
      Type.String({ description: "For a block not yet in the file: insert it before the last line matching this regular expression, or 'BOF'. Not found: at the end." }),
    ),
    create: Type.Optional(Type.Boolean({ description: 'Create the file (and its folder) when it does not exist. Default false: a missing file is an error.' })),
    ...attributeParams,
    ...writeParams,
  },
  { additionalProperties: false },
);

export interface BlockEdit {
  block: string;
  state?: 'present' | 'absent';
  marker?: string;
  markerBegin?: string;
  markerEnd?: string;
  insertafter?: string;
  insertbefore?: string;
}

export function markers(e: Pick<BlockEdit, 'marker' | 'markerBegin' | 'markerEnd'>): [string, string] {
  const template = e.marker ?? '# {mark} MANAGED BLOCK';
  return [template.replaceAll('{mark}', e.markerBegin ?? 'BEGIN'), template.replaceAll('{mark}', e.markerEnd ?? 'END')];
}

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const bare = (line: string) => line.replace(/\r?\n$/, '');

/** Applies the block edit to the text; `msg` says what happened ('block added', 'block replaced', 'block removed') or is empty. */
export function editBlock(text: string, e: BlockEdit): { text: string; msg: string } {
  const [begin, end] = markers(e);
  const lines = splitLines(text);
  // The last opening marker, and the first closing marker after it (Ansible takes the last of each).
  let b = -1;
  let en = -1;
  for (let i = 0; i < lines.length; i++) if (bare(lines[i]!) === begin) b = i;
  for (let i = 0; i < lines.length; i++) if (bare(lines[i]!) === end) en = i;
  const found = b !== -1 && en !== -1 && b < en;
  const body = e.block.replace(/\r?\n$/, '');
  const absent = (e.state ?? 'present') === 'absent' || body === '';
  const wanted = absent ? [] : [`${begin}\n`, ...body.split('\n').map((l) => `${l}\n`), `${end}\n`];

  if (found) {
    const current = lines.slice(b, en + 1);
    // The closing marker as last line without a newline counts as the same block.
    if (current.map(bare).join('\n') === wanted.map(bare).join('\n') && wanted.length > 0) return { text, msg: '' };
    lines.splice(b, en - b + 1, ...wanted);
    return { text: lines.join(''), msg: absent ? 'block removed' : 'block replaced' };
  }
  if (absent) return { text, msg: '' };

  let at = lines.length;
  if (e.insertbefore === 'BOF') at = 0;
  else if (e.insertafter !== undefined && e.insertafter !== 'EOF') {
    const re = compilePattern(e.insertafter, 'insertafter');
    for (let i = 0; i < lines.length; i++) if (re.test(bare(lines[i]!))) at = i + 1;
  } else if (e.insertbefore !== undefined) {
    const re = compilePattern(e.insertbefore, 'insertbefore');
    for (let i = 0; i < lines.length; i++) if (re.test(bare(lines[i]!))) at = i;
  }
  if (at > 0 && !lines[at - 1]!.endsWith('\n')) lines[at - 1] = `${lines[at - 1]}\n`;
  lines.splice(at, 0, ...wanted);
  return { text: lines.join(''), msg: 'block added' };
}

export const blockinfile = defineModule({
  name: 'blockinfile',
  summary: 'Keep a block of lines between two marker lines in a file (insert, replace or remove it).',
  doc: [
    'Edits one text file (up to 256 KiB) as Ansible does: the lines between the marker lines',
    "(marker, default '# {mark} MANAGED BLOCK', with {mark} = BEGIN / END) are replaced by block.",
    'A block not yet in the file goes after the last line matching insertafter (or before the one',
    "matching insertbefore; 'BOF' for the beginning), at the end by default or when nothing matches.",
    'state absent (or an empty block) removes the block with its markers. A missing file is an',
    'error unless create is set. The file is rewritten atomically, with validate and backup.',
    '',
    "  blockinfile({ path: '/etc/ssh/sshd_config', insertbefore: '^Match', validate: 'sshd -t -f %s',",
    "    block: 'PermitRootLogin no\\nPasswordAuthentication no' })",
    "  blockinfile({ path: '/etc/hosts', marker: '# {mark} relays', state: 'absent' })",
  ].join('\n'),
  params,
  prepare(p) {
    checkValidate(p.validate);
    const state = p.state ?? 'present';
    if (state === 'present' && p.block === undefined) throw new PrepareError('state present needs block', 'block');
    if (p.insertafter !== undefined && p.insertbefore !== undefined) throw new PrepareError('give insertafter or insertbefore, not both', 'insertbefore');
    const [begin, end] = markers(p);
    if (begin === end) throw new PrepareError(`the opening and closing markers are the same line ('${begin}'): use {mark} in marker`, 'marker');
    if (p.insertafter !== undefined && p.insertafter !== 'EOF') compilePattern(p.insertafter, 'insertafter');
    if (p.insertbefore !== undefined && p.insertbefore !== 'BOF') compilePattern(p.insertbefore, 'insertbefore');
  },
  facts: (p) => [fileFact(p.path), ...(p.create ? folderFacts(p.path) : []), ...attributeFacts(p)],
  plan(p, ctx): Plan {
    const state = p.state ?? 'present';
    const current = ctx.facts.get(fileFact(p.path));
    const editable = editableText(p.path, current, state, p.create);
    if ('plan' in editable) return editable.plan;
    const before = editable.text;
    const sensitive = isSecret(p.block);
    const edit = editBlock(before, { ...p, block: isSecret(p.block) ? p.block.reveal() : (p.block ?? '') });
    return planEdit(p.path, current, before, edit, sensitive, p, ctx);
  },
});
