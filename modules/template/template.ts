// template: a handlebars file rendered on the controller in strict mode (a missing variable is an
// error naming the template and the variable), then written like copy.
import Handlebars from 'handlebars';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { fileFact } from '../../engine/facts/file.ts';
import { Type } from '../../engine/schema.ts';
import { isSecret, secret } from '../../engine/secret.ts';
import { readLocal } from '../copy/copy.ts';
import { attributeFacts, attributeParams } from '../shared/attributes.ts';
import { checkValidate, contentOf, planWrite, writeParams, type Content } from '../shared/content.ts';
import { folderFacts, newPathSite } from '../shared/new-path.ts';

const params = Type.Object(
  {
    src: Type.String({ minLength: 1, description: "The handlebars template on the controller, relative to the playbook's folder." }),
    dest: Type.String({ pattern: '^/', description: 'Absolute path of the file on the host.' }),
    vars: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "Variables for this template, over the host's variables." })),
    ...attributeParams,
    ...writeParams,
  },
  { additionalProperties: false },
);

/**
 * The template context: host vars, then `vars`, plus inventoryHostname. Secrets become getters
 * that give their real value and record that they were read, so the result can be marked sensitive.
 */
function contextWithSecrets(value: unknown, used: { secret: boolean }): unknown {
  if (isSecret(value)) return value; // handled by the parent's getter
  if (Array.isArray(value) || (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)) {
    const out = (Array.isArray(value) ? [] : {}) as Record<string | number, unknown>;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (isSecret(v)) {
        Object.defineProperty(out, k, {
          enumerable: true,
          get() {
            used.secret = true;
            return v.reveal();
          },
        });
      } else {
        out[k] = contextWithSecrets(v, used);
      }
    }
    return out;
  }
  return value;
}

/** A block helper's argument that is not defined, where it stands in the template. */
class UndefinedArgument extends Error {
  constructor(readonly line: number, readonly column: number) {
    super('undefined block argument');
  }
}

/**
 * Handlebars' strict mode checks `{{name}}` but not the argument of a block helper: `{{#if flag}}`
 * or `{{#each items}}` with the variable missing render as false or empty, silently. In our own
 * Handlebars environment the four built-in block helpers refuse an undefined argument (a variable
 * that exists but is false, null or empty still works as in Handlebars).
 */
const strictHandlebars = (() => {
  const hb = Handlebars.create();
  for (const name of ['if', 'unless', 'each', 'with']) {
    const builtin = hb.helpers[name]!;
    hb.registerHelper(name, function (this: unknown, ...args: unknown[]) {
      const options = args.at(-1) as { loc?: { start: { line: number; column: number } } };
      if (args.length === 2 && args[0] === undefined) throw new UndefinedArgument(options.loc?.start.line ?? 0, options.loc?.start.column ?? 0);
      return (builtin as (...a: unknown[]) => unknown).apply(this, args);
    });
  }
  return hb;
})();

/** Renders `source` strictly; a missing variable is a PrepareError on 'src' naming the template and the variable. */
export function renderTemplate(source: string, name: string, context: Record<string, unknown>): { text: string; sensitive: boolean } {
  const used = { secret: false };
  try {
    const render = strictHandlebars.compile(source, { strict: true, noEscape: true });
    const text = render(contextWithSecrets(context, used), { allowProtoPropertiesByDefault: false });
    return { text, sensitive: used.secret };
  } catch (err) {
    if (err instanceof UndefinedArgument) {
      // `{{#if flag}}` (or `{{~#each a.b}}`) at that place: name the argument as written.
      const at = source.split('\n')[err.line - 1]?.slice(err.column) ?? '';
      const argument = /^\{\{~?#\s*[\w-]+\s+([^\s}~]+)/.exec(at)?.[1] ?? '(the block argument)';
      throw new PrepareError(`template ${name}: variable '${argument}' is not defined (line ${err.line})`, 'src');
    }
    const message = (err as Error).message;
    const missing = /^"(.+)" not defined in .* - (\d+):(\d+)/.exec(message);
    if (missing) {
      const [, variable, line, column] = missing as unknown as [string, string, string, string];
      // Handlebars names only the last part of a path: show the whole expression at that place.
      const expression = /^[^\s}]+/.exec(source.split('\n')[Number(line) - 1]?.slice(Number(column)) ?? '')?.[0];
      const shown = expression && expression.endsWith(variable) ? expression : variable;
      throw new PrepareError(`template ${name}: variable '${shown}' is not defined (line ${line})`, 'src');
    }
    // A parse error is "Parse error on line N:", the source, a caret, then what was expected: keep the first and the last.
    const lines = message.split('\n');
    const expected = lines.length > 1 ? ` ${lines.at(-1)!.replace(/^(Expecting (?:'[^']+', ){3})(?:'[^']+', )+/, '$1..., ')}` : '';
    throw new PrepareError(`template ${name}: ${lines[0]}${expected}`, 'src');
  }
}

export const template = defineModule({
  name: 'template',
  summary: 'Render a handlebars template on the controller (strict: missing variables are errors) and write it like copy.',
  doc: [
    "Renders src, a handlebars file relative to the playbook's folder, before any host is touched. The",
    "context is the host's variables, then `vars`, plus `inventoryHostname`. Rendering is strict: a",
    'variable that does not exist is an error naming the template and the variable, also as the argument of',
    '`{{#if}}`, `{{#unless}}`, `{{#each}}` and `{{#with}}` (define it as false or [] to make it optional). Output is not HTML',
    'escaped. A secret variable renders its real value, and then the whole file is treated as secret (no',
    'diff text). The result is written as copy writes: compared by sha256, atomic, with validate and backup;',
    'its folder must exist or be made by an earlier task.',
    '',
    "  template({ src: 'templates/relay.conf.hbs', dest: '/etc/relay/relay.conf', vars: { port: 8443 }, owner: 'relay', mode: '0640' })",
  ].join('\n'),
  params,
  async prepare(p, ctx): Promise<Content> {
    checkValidate(p.validate);
    const source = (await readLocal(ctx.baseDir, p.src, 'src')).toString('utf8');
    const { text, sensitive } = renderTemplate(source, p.src, { ...ctx.vars, ...(p.vars ?? {}), inventoryHostname: ctx.host });
    return contentOf(sensitive ? secret(text) : text, sensitive);
  },
  facts: (p) => [fileFact(p.dest), ...folderFacts(p.dest), ...attributeFacts(p)],
  plan(p, ctx, content) {
    const current = ctx.facts.get(fileFact(p.dest));
    return planWrite(p.dest, current, content, p, ctx, { site: current.exists ? undefined : newPathSite(p.dest, ctx) });
  },
});
