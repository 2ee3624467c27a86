// readFile: read a small text file of the host into the task's output (for `register`), changing
// nothing. The relay playbook reads each server's fingerprint with it to print the addresses. In a
// dry run it sees what earlier tasks predicted; a file no task knows yet reads as absent.
import { fileFact } from '../../engine/facts/file.ts';
import { defineModule } from '../../engine/module.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { Type } from '../../engine/schema.ts';

export const readFile = defineModule({
  name: 'readFile',
  summary: 'Read a small text file into the task output (register); never a change.',
  doc: [
    'Reads the file with the same fact as copy and template (up to 256 KiB of UTF-8 text), so it costs',
    'no round trip of its own. output: { exists, content } (content is undefined when the file is',
    'absent, or not known yet in a dry run). With `required`, a missing file fails the task.',
    '',
    "  task('smp fingerprint', readFile({ path: '/var/lib/smp/fingerprint' }), { register: 'smpFp' })",
  ].join('\n'),
  params: Type.Object(
    {
      path: Type.String({ pattern: '^/', description: 'Absolute path of the file on the host.' }),
      required: Type.Optional(Type.Boolean({ description: 'Fail when the file does not exist. Default false.' })),
    },
    { additionalProperties: false },
  ),
  facts: (p) => [fileFact(p.path)],
  plan(p, { facts }) {
    const file = facts.get(fileFact(p.path));
    if (p.required && !file.exists) throw new PlanError(`${p.path} does not exist`);
    if (file.exists && file.type === 'file' && file.sha256 !== null && file.content === undefined) {
      throw new PlanError(`${p.path} is not a text file of at most 256 KiB`);
    }
    return { changes: [], steps: [], output: { exists: file.exists, content: file.content } };
  },
});
