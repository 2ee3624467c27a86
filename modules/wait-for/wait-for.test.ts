import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LocalIO } from '../../engine/plan/types.ts';
import { executeSteps } from '../../engine/run/execute.ts';
import { localLink } from '../../test/unit/local-link.ts';
import { shellIO } from '../../test/unit/modules/local-io.ts';
import { waitFor, waitScript } from './wait-for.ts';
import { planWith } from '../../test/unit/modules/fake-facts.ts';

/** The wait the plan asks for, run by the engine's executor against this machine as the host. */
const step = async (params: Record<string, unknown>) => {
  const plan = await planWith(waitFor, params, {});
  assert.deepEqual(plan.changes, [], 'a wait is an action, never an announced change');
  assert.equal(plan.steps.length, 1);
  assert.equal(plan.steps[0]!.kind, 'wait');
  return { run: async () => (await executeSteps(plan.steps, localLink(), false, {} as LocalIO)).reportedChange };
};

async function listening(): Promise<{ port: number; close: () => void }> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

describe('waitFor', () => {
  it('param mistakes are refused with the field named', async () => {
    await assert.rejects(planWith(waitFor, {}, {}), /exactly one of port and path/);
    await assert.rejects(planWith(waitFor, { port: 22, path: '/x' }, {}), /exactly one of port and path/);
    await assert.rejects(planWith(waitFor, { port: 22, state: 'present' }, {}), /a port is open or closed, not present/);
    await assert.rejects(planWith(waitFor, { path: '/x', state: 'open' }, {}), /a path is present or absent, not open/);
    await assert.rejects(planWith(waitFor, { path: '/x', from: 'controller' }, {}), /from controller is for ports/);
    await assert.rejects(planWith(waitFor, { path: '/x', search: 'a', state: 'absent' }, {}), /state is not used with search/);
    await assert.rejects(planWith(waitFor, { port: 70000 }, {}), /port/);
  });

  it('every fact read before a wait is read again after it: what it waits for is the host changing by itself', async () => {
    for (const params of [{ port: 5223 }, { path: '/var/lib/x/fingerprint' }, { port: 443, from: 'controller', address: '10.77.0.10' }]) {
      assert.deepEqual((await planWith(waitFor, params, {})).invalidates, ['*'], JSON.stringify(params));
    }
  });

  it('hostile values travel quoted: nothing in a path or pattern runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wait-'));
    const path = join(dir, "a'; touch pwned1; '$(touch pwned2)");
    writeFileSync(path, 'x $(touch pwned3) `touch pwned4`\n');
    const search = '[$][(]touch pwned3[)]';
    assert.equal(await (await step({ path, search, timeout: 2 })).run(), false);
    const r = await shellIO().exec(`cd ${dir} && ${waitScript({ path: join(dir, "'; touch pwned5; '"), timeout: 0.3, interval: 0.1 })}`);
    assert.equal(r.code, 124);
    assert.deepEqual(readdirSync(dir), [path.slice(dir.length + 1)]);
  });

  it('a port open on the host, and from the controller', async () => {
    const srv = await listening();
    try {
      assert.equal(await (await step({ port: srv.port, timeout: 5 })).run(), false);
      assert.equal(await (await step({ port: srv.port, from: 'controller', address: '127.0.0.1', timeout: 5 })).run(), false);
    } finally {
      srv.close();
    }
  });

  it('a closed port times out with a message saying what was waited for; state closed passes', async () => {
    const srv = await listening();
    srv.close();
    await assert.rejects((await step({ port: srv.port, timeout: 1, interval: 0.2 })).run(), { message: `timed out after 1 s waiting for port ${srv.port} on 127.0.0.1 to be open (checked on web1)` });
    await assert.rejects((await step({ port: srv.port, from: 'controller', address: '127.0.0.1', timeout: 0.5, interval: 0.1 })).run(), { message: `timed out after 0.5 s waiting for port ${srv.port} on 127.0.0.1 to be open (checked from the controller)` });
    assert.equal(await (await step({ port: srv.port, state: 'closed', timeout: 2 })).run(), false);
  });

  it('a path that appears while waiting, a path absent, a pattern in a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wait-'));
    const path = join(dir, 'ready');
    setTimeout(() => writeFileSync(path, 'starting\nListening on 5223\n'), 700);
    const started = Date.now();
    assert.equal(await (await step({ path, timeout: 10, interval: 0.2 })).run(), false);
    assert.ok(Date.now() - started >= 600, 'it waited for the file');
    assert.equal(await (await step({ path, search: 'Listening on [0-9]+', timeout: 2 })).run(), false);
    await assert.rejects((await step({ path, search: 'Listening on [a-z]+$', timeout: 1, interval: 0.2 })).run(), /waiting for \/Listening on \[a-z\]\+\$\/ in /);
    await assert.rejects((await step({ path, state: 'absent', timeout: 1, interval: 0.2 })).run(), /to be absent/);
    assert.equal(await (await step({ path: join(dir, 'nothing'), state: 'absent', timeout: 1 })).run(), false);
  });
});

describe('waitFor from the controller', () => {
  it("checks the host's inventory address by default; without one, says to give it", async () => {
    await assert.rejects(planWith(waitFor, { port: 22, from: 'controller' }, {}), { message: 'the address of web1 is not known: give address' });
    const plan = await planWith(waitFor, { port: 22, from: 'controller', address: '10.0.0.5' }, {});
    assert.equal(plan.msg, 'wait for port 22 on 10.0.0.5 to be open (checked from the controller)');
  });
});
