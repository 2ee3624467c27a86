// user's password: compared as sha256(NONCE + hash), so the crypt hash never leaves the host in
// clear (not in the gather output, nor in a process's argv there); the new hash goes on stdin only.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { userKey } from '../../../engine/facts/user.ts';
import type { RunStep } from '../../../engine/plan/types.ts';
import { isSecret, secret } from '../../../engine/secret.ts';
import { shadowDigest, shadowFact, user } from '../../../modules/user.ts';
import { aGroup, aUser, planWith } from './fake-facts.ts';

const HASH = '$y$j9T$saltsaltsalt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEF';
const OTHER = '$y$j9T$othersaltxyz$ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvu';

/**
 * Runs the fact's script with /bin/sh, a getent that prints `entry`, and every other command it
 * may start wrapped to record its arguments: what the host's process list would show.
 */
function runFact(name: string, entry: string | undefined): { out: string; code: number; argvs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ss-shadow-'));
  const argLog = join(dir, 'argv.log');
  const wrap = (cmd: string, body: string) => {
    writeFileSync(join(dir, cmd), `#!/bin/sh\nprintf '%s\\n' "${cmd} $*" >> ${argLog}\n${body}\n`);
    chmodSync(join(dir, cmd), 0o755);
  };
  wrap('getent', entry === undefined ? 'exit 2' : `[ "$1" = shadow ] && [ "$2" = -- ] && [ "$3" = ${name} ] && printf '%s\\n' '${entry}'`);
  for (const cmd of ['cut', 'sha256sum', 'printf']) wrap(cmd, `exec /usr/bin/${cmd} "$@"`);
  writeFileSync(argLog, '');
  let out = '';
  let code = 0;
  try {
    out = execFileSync('/bin/sh', ['-c', shadowFact(name).script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
  } catch (err) {
    code = (err as { status: number }).status;
  }
  const argvs = readFileSync(argLog, 'utf8');
  rmSync(dir, { recursive: true });
  return { out, code, argvs };
}

describe('user password', () => {
  it("the fact's script holds no hash, prints a digest, and no command on the host sees the hash as an argument", () => {
    const fact = shadowFact('app');
    assert.ok(!fact.script.includes('$y$'));
    const r = runFact('app', `app:${HASH}:19700:0:99999:7:::`);
    assert.equal(r.code, 0);
    assert.match(r.out, /^[0-9a-f]{64}\n$/);
    const value = fact.parse(r.out, 0);
    assert.equal(value, shadowDigest(HASH), 'parse returns the digest the plan compares with');
    assert.notEqual(value, HASH);
    assert.match(r.argvs, /^getent shadow -- app$/m, 'the wrappers did run');
    assert.ok(!r.argvs.includes('$y$'), r.argvs);
    assert.equal(fact.parse(runFact('app', undefined).out, 0), null, 'no shadow entry (or not root): null');
  });

  it('the digest depends on a per-process nonce: it is not sha256 of the hash', () => {
    assert.match(shadowDigest(HASH), /^[0-9a-f]{64}$/);
    assert.notEqual(shadowDigest(HASH), execFileSync('sha256sum', { input: HASH, encoding: 'utf8' }).split(' ')[0]);
    assert.notEqual(shadowDigest(HASH), shadowDigest(OTHER));
  });

  const table: Array<{ name: string; current: string | null; wanted: string | ReturnType<typeof secret>; change: boolean }> = [
    { name: 'same hash: no change', current: HASH, wanted: secret(HASH), change: false },
    { name: 'same hash as a plain string: no change', current: HASH, wanted: HASH, change: false },
    { name: 'a different hash: a sensitive change', current: OTHER, wanted: secret(HASH), change: true },
    { name: 'no password yet: a sensitive change', current: null, wanted: secret(HASH), change: true },
  ];
  for (const row of table) {
    it(row.name, async () => {
      const facts = { ...aUser('app'), ...aGroup('app'), 'shadow:app': row.current === null ? null : shadowDigest(row.current) };
      const plan = await planWith(user, { name: 'app', password: row.wanted }, facts);
      if (!row.change) {
        assert.deepEqual(plan.changes, []);
        assert.deepEqual(plan.steps, []);
        return;
      }
      assert.deepEqual(plan.changes, [{ what: 'password', before: row.current === null ? 'none' : 'set', after: 'set', sensitive: true }]);
      const step = plan.steps[0] as RunStep;
      assert.deepEqual(step.argv, ['chpasswd', '--encrypted']);
      assert.ok(isSecret(step.stdin), 'the hash travels on stdin, as a Secret');
      assert.equal((step.stdin as ReturnType<typeof secret>).reveal(), `app:${HASH}\n`);
      assert.equal(plan.after?.['shadow:app'], shadowDigest(HASH), 'predicts the digest the fact will read');
      assert.ok(plan.after?.[userKey('app')]);
      assert.ok(!JSON.stringify(plan).includes(HASH), 'the hash is nowhere in the plan but the Secret');
    });
  }

  it('a new user with a password: created, then the password set', async () => {
    const plan = await planWith(user, { name: 'app', password: secret(HASH) }, { ...aUser('app', false) });
    assert.deepEqual((plan.steps as RunStep[]).map((s) => s.argv[0]), ['useradd', 'chpasswd']);
    assert.equal(plan.changes.find((c) => c.what === 'password')?.sensitive, true);
    assert.equal(plan.after?.['shadow:app'], shadowDigest(HASH));
  });
});

describe('user plans that cannot apply are refused in the plan (issue 16, defect 8)', () => {
  it('a uid another user has: refused for a new user and for a renumbering; free or its own uid: planned', async () => {
    await assert.rejects(planWith(user, { name: 'ops', uid: 1500 }, { ...aUser('ops', false), 'uid:1500': 'other' }), /^PlanError: uid 1500 is already used by the user 'other': useradd would refuse/);
    await assert.rejects(planWith(user, { name: 'ops', uid: 1500 }, { ...aUser('ops'), 'uid:1500': 'other' }), /usermod would refuse/);
    const fresh = await planWith(user, { name: 'ops', uid: 1500 }, { ...aUser('ops', false), 'uid:1500': null });
    assert.equal(fresh.after?.['uid:1500'], 'ops', 'the uid is predicted taken, for a later task');
    assert.deepEqual((await planWith(user, { name: 'ops', uid: 1000 }, { ...aUser('ops'), 'uid:1000': 'ops' })).changes, []);
  });

  it('removing a user with running processes is refused naming them; unless an earlier task of a dry run may stop them', async () => {
    const busy = { ...aUser('ops'), 'procs:ops': [{ pid: 42, command: 'sleep' }] };
    await assert.rejects(planWith(user, { name: 'ops', state: 'absent' }, busy), /^PlanError: user 'ops' has 1 running process \(42 sleep\): userdel would refuse; stop them first/);
    const idle = await planWith(user, { name: 'ops', state: 'absent' }, { ...aUser('ops'), 'procs:ops': [] });
    assert.deepEqual((idle.steps[0] as RunStep).argv, ['userdel', '--', 'ops']);
  });
});
