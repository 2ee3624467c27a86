// The scale test (npm run test:scale; issue 11): 50 lab hosts, a 20-task playbook, and 5 of them
// killed, cut or rebooted at random moments of the run (seeded: SCALE_SEED, printed). The run ends
// within a bounded time, the 45 healthy hosts converge, the 5 are named and go to the retry file;
// once they are back, `--limit @FILE` converges exactly them, and a third run changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO, engine, pairs, recap, type CliResult } from '../integration/engine-cli.ts';
import { cutHost, healHost, killHost, labPaths, labUp, rebootHost } from '../lab/index.ts';
import { rng } from '../unit/injection/hostile.ts';
import { LAB_GROUPS, LAB_HOSTS } from '../integration/lab-fixture.ts';

const COUNT = 50;
const HOSTS = Array.from({ length: COUNT }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
const PB = 'test/fixtures/playbooks/scale20.ts';
const SEED = Number(process.env.SCALE_SEED ?? Date.now() % 1_000_000);
const TASK_TIMEOUT_S = 20;


function run(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'engine', 'cli.mjs'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      resolve({ code, stdout, stderr: Buffer.concat(err).toString(), events: stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) });
    });
  });
}

describe(`scale: ${COUNT} hosts, 5 faults, seed ${SEED}`, { timeout: 1_200_000 }, () => {
  const rnd = rng(SEED);
  const order = [...HOSTS].sort(() => rnd() - 0.5);
  const victims = order.slice(0, 5);
  const kinds = victims.map((_, i) => (['kill', 'cut', 'reboot', 'kill', 'cut'] as const)[i]!);
  const moments = victims.map(() => 500 + Math.floor(rnd() * 3000));
  const healthy = HOSTS.filter((h) => !victims.includes(h));

  before(async () => {
    process.stdout.write(`# scale seed ${SEED} (SCALE_SEED): ${victims.map((v, i) => `${v} ${kinds[i]} at ${moments[i]} ms`).join(', ')}\n`);
    // Added after the suite's hosts, so their addresses and disks stay as they are.
    await labUp({ hosts: [...LAB_HOSTS, ...HOSTS], groups: { ...LAB_GROUPS, scale: HOSTS } });
  });
  after(async () => {
    for (const [i, v] of victims.entries()) if (kinds[i] === 'cut') await healHost(v).catch(() => {});
  });

  test('faults in the middle of the run: the run ends in bounded time, the healthy converge, the faulty are named; @retry converges them; a third run changes nothing', async () => {
    const t0 = Date.now();
    const first = run(['run', PB, '-i', labPaths.inventory, '--json', '--task-timeout', String(TASK_TIMEOUT_S), '--timeout', '10']);
    await Promise.all(
      victims.map(async (v, i) => {
        await new Promise((r) => setTimeout(r, moments[i]));
        if (kinds[i] === 'kill') await killHost(v);
        else if (kinds[i] === 'cut') await cutHost(v);
        else await rebootHost(v);
      }),
    );
    const r = await first;
    const took = Date.now() - t0;
    process.stdout.write(`# first run: ${took} ms, exit ${r.code}\n`);
    // Bounded: each lost host costs at most its command's deadline (or the keepalive), not forever.
    assert.ok(took < (TASK_TIMEOUT_S + 60) * 1000, `the run ended in ${took} ms`);
    assert.ok(r.code === 3 || r.code === 4, `exit ${r.code}: ${r.stderr}`);
    const rc = recap(r) as ReturnType<typeof recap> & { retryFile?: string };
    const bad = Object.entries(rc.hosts).filter(([, t]) => t.failed > 0 || t.unreachable > 0).map(([h]) => h).sort();
    // A reboot can land between two tasks and be survived (the connection closes cleanly, the
    // host is back for the next play): the named hosts are among the victims, and every healthy host converged.
    assert.ok(bad.every((h) => victims.includes(h)), `only victims failed: ${bad}`);
    assert.ok(bad.length >= 4, `the faults were seen: ${bad} (victims ${victims})`);
    for (const h of healthy) assert.equal(rc.hosts[h]!.changed, 20, `${h} converged in the first run`);
    const retry = rc.retryFile!;
    assert.ok(retry, 'a retry file');

    for (const [i, v] of victims.entries()) {
      if (kinds[i] === 'cut') await healHost(v);
      if (kinds[i] === 'kill') await rebootHost(v);
    }
    const second = await run(['run', PB, '-i', labPaths.inventory, '--json', '--limit', `@${retry}`, '--lock-timeout', '60']);
    assert.equal(second.code, 0, second.stdout.slice(-3000) + second.stderr);
    assert.deepEqual(Object.keys(recap(second).hosts).sort(), bad, '--limit @FILE is exactly the named hosts');
    const third = await run(['run', PB, '-i', labPaths.inventory, '--json']);
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(pairs(third, 'changed'), [], 'a third run changes nothing anywhere');
    assert.equal(pairs(third, 'ok').length, 20 * COUNT);
  });
});
