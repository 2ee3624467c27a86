// cron's schedule fields are checked before any host is touched: what cron reads passes, what
// `crontab -` would refuse on the host (after other tasks ran) is a PrepareError naming the field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cron, cronFieldProblem } from './cron.ts';
import { PrepareError } from '../../engine/module.ts';

const good: Array<[Parameters<typeof cronFieldProblem>[0], string]> = [
  ['minute', '*'], ['minute', '0'], ['minute', '59'], ['minute', '*/15'], ['minute', '0-30/10'], ['minute', '1,15,30-35'],
  ['hour', '0-23'], ['day', '1'], ['day', '31'], ['month', '12'], ['month', 'jan-jun'], ['month', 'DEC'],
  ['weekday', '0'], ['weekday', '7'], ['weekday', 'mon-fri'], ['weekday', 'sun,sat'],
];
const bad: Array<[Parameters<typeof cronFieldProblem>[0], string, RegExp]> = [
  ['minute', '60', /60 is out of range: minutes are 0-59/],
  ['hour', '3-27', /27 in '3-27' is out of range: hours are 0-23/],
  ['day', '0', /0 is out of range: days are 1-31/],
  ['month', '13', /out of range: months are 1-12/],
  ['weekday', '8', /out of range: weekdays are 0-7/],
  ['minute', '30-10', /runs backwards/],
  ['minute', '*/0', /is not a cron minute field/],
  ['minute', 'every', /is not a cron minute field/],
  ['minute', '1-2-3', /is not a cron minute field/],
  ['hour', 'mon', /is not a cron hour field/],
  ['minute', '1,,2', /is not a cron minute field/],
];

describe('cron schedule fields', () => {
  for (const [field, value] of good) it(`${field} '${value}' is read by cron`, () => assert.equal(cronFieldProblem(field, value), undefined));
  for (const [field, value, why] of bad) it(`${field} '${value}' is refused`, () => assert.match(cronFieldProblem(field, value) ?? '(accepted)', why));

  it('prepare refuses the first bad field, naming it', () => {
    const call = cron({ name: 'renew', job: 'certbot renew', minute: '0', hour: '24' });
    assert.throws(() => call.module.prepare!(call.params as never, { host: 'h', vars: {}, baseDir: '.' }), (e: unknown) => e instanceof PrepareError && e.field === 'hour' && /24 is out of range/.test(e.message));
  });
});
