// copy: a file with given content (inline, or a local file read on the controller), compared by
// sha256 and written atomically. The planning itself lives in shared/content.ts, shared with
// template and lineinfile.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { shownPath } from '../../engine/errors.ts';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { fileFact } from '../../engine/facts/file.ts';
import { SecretString, Type } from '../../engine/schema.ts';
import { attributeFacts, attributeParams } from '../shared/attributes.ts';
import { checkValidate, contentOf, planWrite, writeParams, type Content } from '../shared/content.ts';
import { folderFacts, newPathSite } from '../shared/new-path.ts';

const params = Type.Object(
  {
    dest: Type.String({ pattern: '^/', description: 'Absolute path of the file on the host.' }),
    content: Type.Optional(SecretString({ description: 'The file content, inline. A secret stays out of diffs and output.' })),
    src: Type.Optional(Type.String({ minLength: 1, description: "A local file on the controller, relative to the playbook's folder." })),
    force: Type.Optional(Type.Boolean({ description: 'Replace a file whose content differs. false: only create a missing file. Default true.' })),
    ...attributeParams,
    ...writeParams,
  },
  { additionalProperties: false },
);

/** Reads a controller-side file relative to the playbook folder, as a PrepareError on `field` when it cannot. */
export async function readLocal(baseDir: string, path: string, field: string): Promise<Buffer> {
  const full = resolve(baseDir, path);
  try {
    return await readFile(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new PrepareError(`local file ${shownPath(full)} ${why}`, field);
  }
}

export const copy = defineModule({
  name: 'copy',
  summary: 'Write a file from inline content or a local file; compared by sha256, written atomically.',
  doc: [
    'Writes dest with `content` (a string or a secret) or the bytes of `src`, a file on the controller',
    "relative to the playbook's folder (read before any host is touched). The host's file is compared",
    'by sha256: when it matches, only mode/owner/group are fixed (chmod/chown); otherwise the file is',
    'written to a temp file in the same folder, given its owner and mode, checked by `validate`, and',
    'renamed over the old one. --diff shows a unified diff of text files up to 256 KiB, never of secrets.',
    'A new file without mode gets 0644; an existing one keeps its mode and owner unless given. Its folder',
    'must exist or be made by an earlier task (file state directory): a missing one is refused in the plan,',
    'dry run included.',
    '',
    "  copy({ dest: '/etc/ssh/sshd_config.d/10-relay.conf', src: 'files/sshd-relay.conf', mode: '0644', validate: 'sshd -t -f %s' })",
    "  copy({ dest: '/etc/relay/token', content: secret(process.env.TOKEN!), owner: 'relay', mode: '0600' })",
  ].join('\n'),
  params,
  async prepare(p, ctx): Promise<Content> {
    checkValidate(p.validate);
    if ((p.content === undefined) === (p.src === undefined)) throw new PrepareError('give exactly one of content and src', p.src === undefined ? 'content' : 'src');
    if (p.content !== undefined) return contentOf(p.content);
    return contentOf(await readLocal(ctx.baseDir, p.src!, 'src'));
  },
  facts: (p) => [fileFact(p.dest), ...folderFacts(p.dest), ...attributeFacts(p)],
  plan(p, ctx, content) {
    const current = ctx.facts.get(fileFact(p.dest));
    // force false: an existing file keeps its content; its attributes still apply, as in Ansible.
    return planWrite(p.dest, current, p.force === false && current.exists ? 'keep' : content, p, ctx, { site: current.exists ? undefined : newPathSite(p.dest, ctx) });
  },
});
