// Faults and interruptions on lab hosts (issue: the run never hangs, never locks anyone out, loses
// nothing, and resumes): a hung command killed at its deadline, Ctrl-C once (gentle stop, recap,
// retry file) and twice (abort at once, no half-written file), two runs on one host (the second
// waits, then names the holder; a dead controller's lock frees itself), a host cut in the middle
// of a large write (old content or new, never a prefix, no temp file once the host gives up).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { engine, pairs, recap, REPO, type CliResult } from './engine-cli.ts';
import { ensureLab, freshHosts } from './lab-fixture.ts';
import { cutHost, healHost, labPaths, sshRun } from '../lab/index.ts';

const A = 'node7';
const B = 'node8';
const PB = 'test/fixtures/playbooks/faults/slow.ts';
const root = async (host: string, cmd: string) => (await sshRun(host, cmd, { user: 'root' })).stdout;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine as a child we can signal; resolves like engine(). */
function started(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [join(REPO, 'engine', 'cli.mjs'), ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b) => out.push(b));
  child.stderr!.on('data', (b) => err.push(b));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      resolve({ code, stdout, stderr: Buffer.concat(err).toString(), events: stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) });
    }),
  );
  return { child, done };
}

/** Waits until a command is running on the host: a process whose whole command line is `command`. */
async function runningOn(host: string, command: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    // Anchored, so the shell running pgrep (whose command line holds the pattern) does not match.
    if ((await root(host, `pgrep -f -- '^${command}$' >/dev/null && echo yes || true`)).trim() === 'yes') return;
    await sleep(200);
  }
  throw new Error(`${command} never ran on ${host}`);
}

/** Waits until a file on the host holds `content`. */
async function doneOn(host: string, path: string, content: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await root(host, `cat ${path} 2>/dev/null || true`)) === content) return;
    await sleep(200);
  }
  throw new Error(`${path} on ${host} never held ${JSON.stringify(content)}`);
}

const results = (r: CliResult) => r.events.filter((e) => e.type === 'task.result').map((e) => `${e.host} ${e.task}: ${e.status}`).sort();

describe('faults and interruptions on lab hosts', { timeout: 900_000 }, () => {
  before(async () => {
    await ensureLab();
    await freshHosts(A, B);
  });

  test('a hung command is killed at its deadline: the task fails naming it and the time, the host stops, the other host completes', async () => {
    const t0 = Date.now();
    const r = await engine(['run', PB, '-i', labPaths.inventory, '--limit', `${A},${B}`, '--json', '-e', 'sleep=600', '-e', `only=${A}`], { env: { SLOW_TIMEOUT: '3' } });
    assert.ok(Date.now() - t0 < 60_000, `the run ended in ${Date.now() - t0} ms`);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const slow = r.events.find((e) => e.type === 'task.result' && e.host === A && e.task === 'slow command')!;
    assert.equal(slow.status, 'failed');
    assert.match(slow.msg, /^sleep 600 timed out after 3 s and was killed$/);
    assert.deepEqual(results(r), [`${A} before: changed`, `${A} slow command: failed`, `${B} after: changed`, `${B} before: changed`, `${B} slow command: skipped`]);
    await sleep(3000);
    assert.equal((await root(A, "pgrep -f '^sleep 600$' || echo none")).trim(), 'none', 'the remote command is gone');
  });

  test('--task-timeout applies to every command', async () => {
    const r = await engine(['run', PB, '-i', labPaths.inventory, '--limit', A, '--json', '-e', 'sleep=600', '--task-timeout', '2']);
    assert.equal(r.code, 3);
    assert.match(r.events.find((e) => e.type === 'task.result' && e.task === 'slow command')!.msg, /timed out after 2 s/);
  });

  test('Ctrl-C once: the running step finishes, no new task starts, the recap names the retry file; it retries exactly the host not done', async () => {
    const run = started(['run', PB, '-i', labPaths.inventory, '--limit', `${A},${B}`, '--json', '-e', 'sleep=6', '-e', `only=${A}`, '-e', 'stamp=c1']);
    await runningOn(A, 'sleep 6');
    // B has no slow task: it is done once its 'after' is written (else the signal races it).
    await doneOn(B, '/srv/slow-after', 'c1\n');
    const t0 = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.ok(Date.now() - t0 < 15_000, 'within the grace period');
    assert.match(r.stderr, /SIGINT: stopping: no new task starts/);
    // The sleep was let finish (it is a step under way); 'after' never started on A.
    assert.equal(r.events.find((e) => e.type === 'task.result' && e.host === A && e.task === 'slow command')!.status, 'changed');
    assert.equal(r.events.some((e) => e.type === 'task.result' && e.host === A && e.task === 'after'), false);
    const rc = recap(r) as ReturnType<typeof recap> & { unfinished: string[]; retryFile?: string };
    assert.deepEqual(rc.unfinished, [A]);
    assert.ok(rc.retryFile, 'a retry file');
    assert.equal(readFileSync(rc.retryFile!, 'utf8'), `${A}\n`);
    const again = await engine(['run', PB, '-i', labPaths.inventory, '--limit', `@${rc.retryFile}`, '--json', '-e', 'stamp=c1']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(pairs(again, 'changed'), [`${A} after`, `${A} slow command`]);
  });

  test('Ctrl-C twice during a large write: abort at once, the target is old or new, never a prefix, no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-faults-'));
    const data = randomBytes(96 * 1024 * 1024);
    writeFileSync(join(dir, 'big'), data);
    const pb = join(dir, 'big.ts');
    writeFileSync(pb, [
      `import { play, playbook, task } from '${join(REPO, 'engine/playbook/define.ts')}';`,
      `import { copy } from '${join(REPO, 'modules/index.ts')}';`,
      `export default playbook(play({ name: 'big', hosts: 'all', become: true, tasks: [task('big file', copy({ dest: '/srv/big', src: 'big' }))] }));`,
    ].join('\n'));
    const old = (await root(A, 'head -c 100000 /dev/urandom | tee /srv/big | sha256sum')).split(' ')[0];
    const run = started(['run', pb, '-i', labPaths.inventory, '--limit', A]);
    let seen = false;
    for (let i = 0; i < 300 && !seen; i++) {
      seen = (await root(A, "find /srv -maxdepth 1 -name '.big.shipshape-*' -size +1M | head -n1")).trim() !== '';
      if (!seen) await sleep(100);
    }
    assert.ok(seen, 'the write was under way');
    const t0 = Date.now();
    run.child.kill('SIGINT');
    await sleep(100);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.ok(Date.now() - t0 < 8000, `aborted at once (${Date.now() - t0} ms)`);
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stderr, /SIGINT again: aborting now/);
    let left = 'x';
    for (let i = 0; i < 50 && left !== ''; i++) {
      left = (await root(A, "find /srv -maxdepth 1 -name '.big.shipshape-*'")).trim();
      if (left) await sleep(200);
    }
    assert.equal(left, '', 'no temp file left');
    const now = (await root(A, 'sha256sum /srv/big')).split(' ')[0];
    assert.ok(now === old || now === createHash('sha256').update(data).digest('hex'), 'old content or new, never a prefix');
  });

  test('two runs on one host: the second waits up to --lock-timeout, then fails that host naming the holder; dry runs share', async () => {
    const first = started(['run', PB, '-i', labPaths.inventory, '--limit', A, '--json', '-e', 'sleep=8', '-e', 'stamp=l1']);
    await runningOn(A, 'sleep 8');
    const t0 = Date.now();
    const second = await engine(['run', PB, '-i', labPaths.inventory, '--limit', `${A},${B}`, '--json', '--lock-timeout', '2', '-e', 'stamp=l2']);
    const waited = Date.now() - t0;
    assert.equal(second.code, 3, second.stdout + second.stderr);
    const refused = second.events.find((e) => e.type === 'task.result' && e.host === A)!;
    assert.equal(refused.task, 'host lock');
    assert.match(refused.msg, new RegExp(`^${A} is locked by another run \\(controller \\S+, pid \\d+, playbook ${PB.replace(/[./]/g, '\\$&')}, run started \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\); waited 2 s \\(--lock-timeout\\)$`));
    assert.ok(waited >= 2000 && waited < 20_000, `waited ${waited} ms`);
    assert.deepEqual(pairs(second, 'changed'), [`${B} after`, `${B} before`, `${B} slow command`], 'the other host went on');
    // A dry run shares with a dry run, but waits for a real run.
    const dryDuring = await engine(['run', PB, '-i', labPaths.inventory, '--limit', A, '--check', '--json', '--lock-timeout', '1']);
    assert.equal(dryDuring.code, 3, 'a dry run waits for the real run holding the host');
    assert.equal((await first.done).code, 0);
    const longDry = started(['run', PB, '-i', labPaths.inventory, '--limit', A, '--check', '--json', '-e', 'sleep=1']);
    const dryTogether = await engine(['run', PB, '-i', labPaths.inventory, '--limit', A, '--check', '--json', '--lock-timeout', '1']);
    assert.equal(dryTogether.code, 0, `two dry runs at once: ${dryTogether.stdout}`);
    await longDry.done;
  });

  test("a lock left by a dead controller frees itself", async () => {
    const first = started(['run', PB, '-i', labPaths.inventory, '--limit', A, '-e', 'sleep=30', '-e', 'stamp=d1']);
    await runningOn(A, 'sleep 30');
    first.child.kill('SIGKILL');
    await first.done;
    const t0 = Date.now();
    const next = await engine(['run', PB, '-i', labPaths.inventory, '--limit', A, '--json', '--lock-timeout', '20', '-e', 'stamp=d2']);
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.ok(Date.now() - t0 < 20_000);
  });

  test("facts read with the lock: a fact past --task-timeout is killed there, the host fails naming it, and the lock is let go", async () => {
    const t0 = Date.now();
    const r = await engine(['run', 'test/fixtures/playbooks/faults/slow-facts.ts', '-i', labPaths.inventory, '--limit', A, '--json', '--task-timeout', '3'], { env: { SLOW_FACT_S: '600' } });
    assert.ok(Date.now() - t0 < 60_000, `the run ended in ${Date.now() - t0} ms`);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const failed = r.events.filter((e) => e.type === 'task.result' && e.status === 'failed');
    assert.deepEqual(failed.map((e) => `${e.host} ${e.play}: ${e.task}`), [`${A} slow facts: gather facts`]);
    assert.match(failed[0].msg, new RegExp(`^fact gathering on ${A} \\(base, test:slow-fact:600, .*\\) timed out after 3 s and was killed$`));
    assert.deepEqual(recap(r).roundTrips, { [A]: 1 }, 'the lock and the facts went in one exec');
    assert.equal((await root(A, "pgrep -f '^sleep 600$' || echo none")).trim(), 'none', 'the fact is gone from the host');
    // Let go: the next run does not wait for it.
    const next = await engine(['run', 'test/fixtures/playbooks/faults/slow-facts.ts', '-i', labPaths.inventory, '--limit', A, '--json', '--lock-timeout', '1'], { env: { SLOW_FACT_S: '0' } });
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.deepEqual(pairs(next, 'ok'), [`${A} read a slow fact`]);
  });

  test('a host cut in the middle of a large write: it gives up on its own by the deadline, keeping the old content and no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-faults-'));
    writeFileSync(join(dir, 'big'), randomBytes(200 * 1024 * 1024));
    const pb = join(dir, 'big.ts');
    writeFileSync(pb, [
      `import { play, playbook, task } from '${join(REPO, 'engine/playbook/define.ts')}';`,
      `import { copy } from '${join(REPO, 'modules/index.ts')}';`,
      `export default playbook(play({ name: 'big', hosts: 'all', become: true, tasks: [task('big file', copy({ dest: '/srv/big', src: 'big' }), { timeout: 8 })] }));`,
    ].join('\n'));
    const old = (await root(B, 'head -c 100000 /dev/urandom | tee /srv/big | sha256sum')).split(' ')[0];
    const run = started(['run', pb, '-i', labPaths.inventory, '--limit', B, '--json']);
    let seen = false;
    for (let i = 0; i < 300 && !seen; i++) {
      seen = (await root(B, "find /srv -maxdepth 1 -name '.big.shipshape-*' -size +1M | head -n1")).trim() !== '';
      if (!seen) await sleep(100);
    }
    assert.ok(seen, 'the write was under way');
    await cutHost(B);
    const t0 = Date.now();
    let r: CliResult;
    try {
      r = await run.done;
    } finally {
      // The host's own watchdog (deadline 8 s + 5) has had time to give up while the cable was out.
      await sleep(Math.max(0, 16_000 - (Date.now() - t0)));
      await healHost(B);
    }
    assert.ok(Date.now() - t0 < 60_000, 'the run ended');
    assert.notEqual(r.code, 0);
    let left = 'x';
    for (let i = 0; i < 50 && left !== ''; i++) {
      left = (await root(B, "find /srv -maxdepth 1 -name '.big.shipshape-*'")).trim();
      if (left) await sleep(500);
    }
    assert.equal(left, '', 'no temp file left');
    assert.equal((await root(B, 'sha256sum /srv/big')).split(' ')[0], old, 'the old content stays');
  });
});

describe('sshd changes are confirmed by a fresh login', { timeout: 600_000 }, () => {
  const SSHD = 'test/fixtures/playbooks/faults/sshd.ts';
  const HOST = B;
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
  });

  test('a drop-in that locks the login user out: the restart is undone, the host fails saying so, and the engine still gets in', async () => {
    const r = await engine(['run', SSHD, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', 'dropin=lockout']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const h = r.events.find((e) => e.type === 'task.result' && e.handler && e.task === 'restart ssh')!;
    assert.equal(h.status, 'failed');
    assert.match(h.msg, new RegExp(`^a fresh login to ${HOST} failed after systemctl restart -- ssh.service: .*The engine put back the previous /etc/ssh/sshd_config.d/50-test.conf and ran systemctl restart -- ssh.service again: a fresh login works again$`));
    assert.equal((await root(HOST, 'ls /etc/ssh/sshd_config.d/')).includes('50-test.conf'), false, 'the drop-in (absent before) is gone');
    assert.equal((await sshRun(HOST, 'id -un', { user: 'deploy' })).stdout, 'deploy\n', 'deploy logs in');
    const again = await engine(['run', SSHD, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', 'dropin=fine']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal((await root(HOST, 'ls /run/shipshape/prev 2>/dev/null | wc -l')).trim(), '0', 'a confirmed change leaves no kept copy');
  });

  test('check: sshd -t with the whole configuration puts back a drop-in that validate alone accepted', async () => {
    const before = (await root(HOST, 'sha256sum /etc/ssh/sshd_config.d/50-test.conf')).split(' ')[0];
    const r = await engine(['run', SSHD, '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', 'dropin=match']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const t = r.events.find((e) => e.type === 'task.result' && e.task === 'drop-in')!;
    assert.equal(t.status, 'failed');
    assert.match(t.msg, /check failed: sshd -t; the previous \/etc\/ssh\/sshd_config\.d\/50-test\.conf is back in place/);
    assert.equal((await root(HOST, 'sha256sum /etc/ssh/sshd_config.d/50-test.conf')).split(' ')[0], before, 'the previous drop-in is back');
    assert.equal((await root(HOST, 'sshd -t && echo valid')).trim(), 'valid');
    assert.equal(r.events.some((e) => e.type === 'task.result' && e.handler), false, 'no restart was attempted');
  });
});

describe('notified handlers survive a failure; flushHandlers runs them in the middle', { timeout: 600_000 }, () => {
  const PBH = 'test/fixtures/playbooks/faults/handlers.ts';
  const HOST = A;
  const run = (...extra: string[]) => engine(['run', PBH, '-i', labPaths.inventory, '--limit', HOST, '--json', ...extra]);
  const handlerStatus = (r: CliResult, name: string) => r.events.filter((e) => e.type === 'task.result' && e.handler && e.task === name).map((e) => e.status);
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
  });

  test('a change notified, then the host fails: the next run runs the handler though nothing changes; then it is done', async () => {
    const failed = await run('-e', 'stamp=1', '-e', 'fail=1');
    assert.equal(failed.code, 3);
    assert.deepEqual(handlerStatus(failed, 'record restart'), [], 'the host failed before its handlers');
    assert.match(await root(HOST, 'cat /var/lib/shipshape/pending-handlers'), /"handler":"record restart"/);
    const dry = await engine(['run', PBH, '-i', labPaths.inventory, '--limit', HOST, '--json', '--check', '-e', 'stamp=1']);
    assert.deepEqual(handlerStatus(dry, 'record restart'), ['changed'], 'the dry run says the pending handler will run');
    const next = await run('-e', 'stamp=1');
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.equal(next.events.find((e) => e.type === 'task.result' && e.task === 'config')!.status, 'ok', 'nothing changes this time');
    assert.deepEqual(handlerStatus(next, 'record restart'), ['changed'], 'and yet the handler runs');
    assert.equal(await root(HOST, 'cat /srv/h-ran'), 'restarted\n');
    assert.equal((await root(HOST, 'test -e /var/lib/shipshape/pending-handlers && echo left || echo none')).trim(), 'none');
    const third = await run('-e', 'stamp=1');
    assert.deepEqual(handlerStatus(third, 'record restart'), [], 'done once: not again');
  });

  test('flushHandlers: the task after it sees what the handler did; the handler does not run again at the end', async () => {
    const r = await run('-e', 'stamp=2');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const order = r.events.filter((e) => e.type === 'task.result' && e.play === 'flush in the middle').map((e) => `${e.handler ? 'handler ' : ''}${e.task}: ${e.status}`);
    assert.deepEqual(order, ['config 2: changed', 'handler apply config 2: changed', 'flush handlers: ok', 'needs the handler done: changed']);
  });
});

describe('edits are compare-and-swap', { timeout: 300_000 }, () => {
  test('a file edited by hand between the reading and the write: the task fails, nothing is written', async () => {
    await root(A, 'rm -f /srv/cas.blob; printf "workers=2\\nname=a\\n" > /srv/cas.conf');
    // A download the test answers only once the file has been edited by hand: the play has read
    // /srv/cas.conf (at its start) when the request arrives.
    let requested!: () => void;
    const asked = new Promise<void>((r) => (requested = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const server = createServer((_req, res) => {
      requested();
      void released.then(() => res.end('blob\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob`;
      const run = started(['run', 'test/fixtures/playbooks/faults/cas.ts', '-i', labPaths.inventory, '--limit', A, '--json'], { SS_CAS_URL: url });
      await Promise.race([asked, run.done.then((r) => Promise.reject(new Error(`the run ended before its download:\n${r.stdout}${r.stderr}`)))]);
      await root(A, 'printf "workers=2\\nname=changed by hand\\n" > /srv/cas.conf');
      release();
      const r = await run.done;
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const edit = r.events.find((e) => e.type === 'task.result' && e.task === 'edit')!;
      assert.equal(edit.status, 'failed');
      assert.match(edit.msg, /\/srv\/cas\.conf changed since it was read \(its sha256 is not the one the plan was made from\): nothing written/);
      assert.equal(await root(A, 'cat /srv/cas.conf'), 'workers=2\nname=changed by hand\n', 'the hand edit is kept, not lost');
    } finally {
      server.close();
    }
  });
});
