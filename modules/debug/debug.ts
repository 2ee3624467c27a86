// debug: prints a message per host, in dry runs and real runs alike (the relay addresses to paste
// into SimpleX). Never a change. The text goes out as a 'message' event through Plan.message.
import { defineModule } from '../../engine/module.ts';
import { Type } from '../../engine/schema.ts';

const params = Type.Object(
  {
    msg: Type.String({ description: 'The text to print for this host. Usually a function of the host: (ctx) => `...${ctx.vars.x}`.' }),
  },
  { additionalProperties: false },
);

export const debug = defineModule({
  name: 'debug',
  summary: 'Print a message for each host; never a change.',
  doc: [
    'Prints `msg` once per host, as a MESSAGE line in the human view (and a `message` event in --json),',
    'in dry runs and real runs alike. The text is also available through `register` as output.msg.',
    'Known secret values in the text are masked.',
    '',
    "  debug({ msg: (ctx) => `relay ${ctx.host}: smp://${ctx.vars.fingerprint}@${ctx.vars.domain}` })",
  ].join('\n'),
  params,
  facts: () => [],
  plan: (p) => ({ changes: [], steps: [], message: p.msg, output: { msg: p.msg } }),
});
