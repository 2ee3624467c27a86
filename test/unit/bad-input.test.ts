// Bad input is refused before any host is touched: every case of test/fixtures/bad/cases/ (a folder
// with the broken files and an expect.json) runs the real CLI and must print its short message, no
// stack trace, exit 5, print nothing on stdout (no event: no run.start, no host.connected) and open
// no TCP connection to the corpus's hosts (127.0.0.1:29022, where this test listens). Adding a case
// is adding a folder; see test/fixtures/bad/README.md.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Listener, loadCases, REPO, runCase, verdict, type Case } from '../fixtures/bad/corpus.ts';
import { badInputTable } from '../fixtures/bad/table.ts';

const cases = loadCases();
let listener: Listener;

before(async () => {
  listener = await Listener.open();
});
after(() => listener.close());

test('the corpus holds at least 40 cases', () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
});

test("the README's Bad input table is the corpus's (npx tsx test/fixtures/bad/table.ts prints it)", () => {
  assert.ok(readFileSync(join(REPO, 'README.md'), 'utf8').includes(badInputTable(cases)), 'README.md is missing the current table: paste the output of npx tsx test/fixtures/bad/table.ts');
});

// A check that could not see a connection would pass every case: the good playbook over the shared
// inventory must reach the listener (and fail there, 4: it is no SSH server).
test('control: a good input does connect, and the listener sees it', async () => {
  const control: Case = { name: 'control', dir: join(import.meta.dirname, '..', 'fixtures', 'bad', 'shared'), broken: 'nothing', args: ['run', 'ok.ts', '-i', 'inventory.yml'], exit: 4 };
  const o = await runCase(control, listener);
  assert.equal(o.code, 4, o.stderr + o.stdout);
  assert.ok(o.connections >= 1, `the listener saw ${o.connections} connections`);
  assert.match(o.stdout, /"type":"host\.unreachable"/);
});

describe('bad input', () => {
  for (const c of cases) {
    test(`${c.name}: ${c.broken}`, async () => {
      const o = await runCase(c, listener);
      const faults = verdict(c, o);
      assert.deepEqual(faults, [], `engine ${o.args.join(' ')} (in ${c.dir})\nexit ${o.code}\nstderr:\n${o.stderr}`);
    });
  }
});
