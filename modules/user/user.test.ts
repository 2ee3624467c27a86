// user's password: compared as sha256(NONCE + hash), so the crypt hash never leaves the host in
// clear (not in the gather output, nor in a process's argv there); the new hash goes on stdin only.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileFact } from '../../engine/facts/file.ts';
import { groupFact, parseUser, uidFact, userFact, userKey, userProcessesFact } from '../../engine/facts/user.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PrepareError } from '../../engine/module.ts';
import type { RunStep } from '../../engine/plan/types.ts';
import { isSecret, secret } from '../../engine/secret.ts';
import { lockFact, shadowDigest, shadowFact, user, type PasswordLock } from './user.ts';
import { aGroup, aUser, planWith, predicted } from '../../test/unit/modules/fake-facts.ts';

const HASH = '$y$j9T$saltsaltsalt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEF';
const OTHER = '$y$j9T$othersaltxyz$ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvu';

/**
 * Runs the fact's script with /bin/sh, a getent that prints `entry`, and every other command it
 * may start wrapped to record its arguments: what the host's process list would show.
 */
function runFact(name: string, entry: string | undefined, script = shadowFact(name).script): { out: string; code: number; argvs: string } {
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
    out = execFileSync('/bin/sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
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

  it("a locked hash ('!' before it) has the digest of the hash: the lock is passwordLock's", () => {
    assert.equal(shadowFact('app').parse(runFact('app', `app:!${HASH}:19700:0:99999:7:::`).out, 0), shadowDigest(HASH));
    assert.equal(shadowFact('app').parse(runFact('app', 'app:!:19700:0:99999:7:::').out, 0), null, "a bare '!': no password");
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
      const facts = { ...aUser('app'), ...aGroup('app'), ...predictions(predict(shadowFact('app'), row.current === null ? null : shadowDigest(row.current)), predict(lockFact('app'), row.current === null ? 'locked-empty' : 'unlocked')) };
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
      assert.equal(predicted(plan, shadowFact('app')), shadowDigest(HASH), 'predicts the digest the fact will read');
      assert.ok(predicted(plan, userFact('app')));
      assert.ok(!JSON.stringify(plan).includes(HASH), 'the hash is nowhere in the plan but the Secret');
    });
  }

  it('a new user with a password: created, then the password set', async () => {
    const plan = await planWith(user, { name: 'app', password: secret(HASH) }, { ...aUser('app', false) });
    assert.deepEqual((plan.steps as RunStep[]).map((s) => s.argv[0]), ['useradd', 'chpasswd']);
    assert.equal(plan.changes.find((c) => c.what === 'password')?.sensitive, true);
    assert.equal(predicted(plan, shadowFact('app')), shadowDigest(HASH));
  });
});

describe('user plans that cannot apply are refused in the plan (issue 16, defect 8)', () => {
  it('a uid another user has: refused for a new user and for a renumbering; free or its own uid: planned', async () => {
    await assert.rejects(planWith(user, { name: 'ops', uid: 1500 }, { ...aUser('ops', false), ...predictions(predict(uidFact(1500), 'other')) }), /^PlanError: uid 1500 is already used by the user 'other': useradd would refuse/);
    await assert.rejects(planWith(user, { name: 'ops', uid: 1500 }, { ...aUser('ops'), ...predictions(predict(uidFact(1500), 'other')) }), /usermod would refuse/);
    const fresh = await planWith(user, { name: 'ops', uid: 1500 }, { ...aUser('ops', false), ...predictions(predict(uidFact(1500), null)) });
    assert.equal(predicted(fresh, uidFact(1500)), 'ops', 'the uid is predicted taken, for a later task');
    assert.deepEqual((await planWith(user, { name: 'ops', uid: 1000 }, { ...aUser('ops'), ...predictions(predict(uidFact(1000), 'ops')) })).changes, []);
  });

  it('removing a user with running processes is refused naming them; unless an earlier task of a dry run may stop them', async () => {
    const busy = { ...aUser('ops'), ...predictions(predict(userProcessesFact('ops'), [{ pid: 42, command: 'sleep' }])) };
    await assert.rejects(planWith(user, { name: 'ops', state: 'absent' }, busy), /^PlanError: user 'ops' has 1 running process \(42 sleep\): userdel would refuse; stop them first/);
    const idle = await planWith(user, { name: 'ops', state: 'absent' }, { ...aUser('ops'), ...predictions(predict(userProcessesFact('ops'), [])) });
    assert.deepEqual((idle.steps[0] as RunStep).argv, ['userdel', '--', 'ops']);
  });

  it("a removed user's group and home are read again: the home's key as fileFact reads it, a trailing slash in passwd or not", async () => {
    const ops = { exists: true, name: 'ops', uid: 1000, gid: 1000, home: '/home/ops/', shell: '/bin/sh' };
    const plan = await planWith(user, { name: 'ops', state: 'absent' }, predictions(predict(userFact('ops'), ops), predict(userProcessesFact('ops'), [])));
    assert.deepEqual(plan.invalidates, [groupFact('ops').key, fileFact('/home/ops').key]);
  });
});

describe('user passwordLock: the fact reads only the first characters of the hash field, and prints the state alone', () => {
  const entries: Array<[string, PasswordLock]> = [
    [`!${HASH}`, 'locked'],
    ['!', 'locked-empty'],
    ['!!', 'locked-empty'],
    ['!*', 'locked-empty'],
    [HASH, 'unlocked'],
    ['', 'empty'],
    ['*', 'disabled'],
  ];
  for (const [field, state] of entries) {
    it(`'${field.slice(0, 6)}...' reads as ${state}, and no process sees the hash`, () => {
      const r = runFact('app', `app:${field}:19700:0:99999:7:::`, lockFact('app').script);
      assert.equal(r.code, 0);
      assert.equal(r.out, `${state}\n`);
      assert.equal(lockFact('app').parse(r.out, 0), state);
      assert.equal(r.argvs, 'getent shadow -- app\n', 'getent only: the field is cut by the shell');
    });
  }
  it('no shadow entry (no user, or not root): null', () => {
    assert.equal(lockFact('app').parse(runFact('app', undefined, lockFact('app').script).out, 0), null);
  });

  const mod = (name: string, flag: string) => ({ argv: ['usermod', flag, '--', name] });
  const rows: Array<{ name: string; lock: PasswordLock; params: Record<string, unknown>; shadow?: string | null; changes: unknown[]; steps: unknown[]; after?: PasswordLock; fails?: RegExp }> = [
    { name: 'lock an unlocked password: usermod -L', lock: 'unlocked', params: { passwordLock: true }, changes: [{ what: 'password lock', before: 'unlocked', after: 'locked' }], steps: [mod('app', '--lock')], after: 'locked' },
    { name: 'already locked: nothing to do', lock: 'locked', params: { passwordLock: true }, changes: [], steps: [] },
    { name: "useradd's bare '!' is locked already", lock: 'locked-empty', params: { passwordLock: true }, changes: [], steps: [] },
    { name: 'unlock a locked hash: usermod -U', lock: 'locked', params: { passwordLock: false }, changes: [{ what: 'password lock', before: 'locked', after: 'unlocked' }], steps: [mod('app', '--unlock')], after: 'unlocked' },
    { name: 'already unlocked: nothing to do', lock: 'unlocked', params: { passwordLock: false }, changes: [], steps: [] },
    { name: "'*' is not locked: unlocking it is nothing to do", lock: 'disabled', params: { passwordLock: false }, changes: [], steps: [] },
    { name: "locking an empty password: usermod -L leaves a bare '!'", lock: 'empty', params: { passwordLock: true }, changes: [{ what: 'password lock', before: 'unlocked', after: 'locked' }], steps: [mod('app', '--lock')], after: 'locked-empty' },
    {
      name: "unlocking a bare '!' is refused, saying why",
      lock: 'locked-empty',
      params: { passwordLock: false },
      changes: [],
      steps: [],
      fails: /^PlanError: cannot unlock the password of 'app': there is no hash behind its lock \(its shadow entry holds only '!'\), and unlocking would leave an account with no password/,
    },
    {
      name: "unlocking a bare '!' with a new hash: the hash, unlocked, in one chpasswd",
      lock: 'locked-empty',
      shadow: null,
      params: { passwordLock: false, password: HASH },
      changes: [{ what: 'password', before: 'none', after: 'set', sensitive: true }, { what: 'password lock', before: 'locked', after: 'unlocked' }],
      steps: [{ argv: ['chpasswd', '--encrypted'], stdin: `app:${HASH}\n` }],
      after: 'unlocked',
    },
    {
      name: "lock and a new hash in one task: '!HASH' in one chpasswd (the next run reads that hash, locked)",
      lock: 'unlocked',
      shadow: OTHER,
      params: { passwordLock: true, password: HASH },
      changes: [{ what: 'password', before: 'set', after: 'set', sensitive: true }, { what: 'password lock', before: 'unlocked', after: 'locked' }],
      steps: [{ argv: ['chpasswd', '--encrypted'], stdin: `app:!${HASH}\n` }],
      after: 'locked',
    },
    { name: 'lock with the same hash already locked: nothing to do', lock: 'locked', shadow: HASH, params: { passwordLock: true, password: HASH }, changes: [], steps: [] },
    { name: 'lock, the hash already set: usermod -L alone', lock: 'unlocked', shadow: HASH, params: { passwordLock: true, password: HASH }, changes: [{ what: 'password lock', before: 'unlocked', after: 'locked' }], steps: [mod('app', '--lock')], after: 'locked' },
    {
      name: 'a new hash on a locked account, no passwordLock: it stays locked',
      lock: 'locked',
      shadow: OTHER,
      params: { password: HASH },
      changes: [{ what: 'password', before: 'set', after: 'set', sensitive: true }],
      steps: [{ argv: ['chpasswd', '--encrypted'], stdin: `app:!${HASH}\n` }],
      after: 'locked',
    },
    {
      name: "a new hash on useradd's bare '!', no passwordLock: usable (that '!' is no lock)",
      lock: 'locked-empty',
      shadow: null,
      params: { password: HASH },
      changes: [{ what: 'password', before: 'none', after: 'set', sensitive: true }],
      steps: [{ argv: ['chpasswd', '--encrypted'], stdin: `app:${HASH}\n` }],
      after: 'unlocked',
    },
    { name: "a hash given with its '!' is refused", lock: 'unlocked', shadow: OTHER, params: { password: `!${HASH}` }, changes: [], steps: [], fails: /^PlanError: the password of 'app' starts with '!' \(a locked hash\): give the hash without it, and passwordLock: true/ },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const facts = { ...aUser('app'), ...aGroup('app'), ...predictions(predict(lockFact('app'), row.lock), row.shadow !== undefined && predict(shadowFact('app'), row.shadow === null ? null : shadowDigest(row.shadow))) };
      const params = { name: 'app', ...row.params };
      if (row.fails) return void (await assert.rejects(planWith(user, params, facts), row.fails));
      const plan = await planWith(user, params, facts);
      assert.deepEqual(plan.changes, row.changes);
      assert.deepEqual(
        (plan.steps as RunStep[]).map((s) => ({ argv: s.argv, ...(s.stdin ? { stdin: isSecret(s.stdin) ? s.stdin.reveal() : s.stdin } : {}) })),
        row.steps,
      );
      if (row.after) assert.equal(predicted(plan, lockFact('app')), row.after, 'the lock state predicted for the next task');
      assert.ok(!JSON.stringify(plan).includes(HASH), 'the hash is nowhere in the plan but the Secret');
    });
  }

  it('a new user: useradd leaves it locked with no hash; locking it is creating it, unlocking it without a password is refused', async () => {
    const created = await planWith(user, { name: 'app', passwordLock: true }, aUser('app', false));
    assert.deepEqual((created.steps as RunStep[]).map((s) => s.argv[0]), ['useradd']);
    assert.deepEqual(created.changes.at(-1), { what: 'password lock', before: null, after: 'locked' });
    assert.equal(predicted(created, lockFact('app')), 'locked-empty');
    await assert.rejects(planWith(user, { name: 'app', passwordLock: false }, aUser('app', false)), /cannot unlock the password of 'app': there is no hash behind its lock \(useradd creates it so\)/);
    const withHash = await planWith(user, { name: 'app', passwordLock: true, password: secret(HASH) }, aUser('app', false));
    assert.deepEqual((withHash.steps as RunStep[]).map((s) => s.argv[0]), ['useradd', 'chpasswd']);
    assert.equal(((withHash.steps[1] as RunStep).stdin as ReturnType<typeof secret>).reveal(), `app:!${HASH}\n`);
  });

  it('any new user is predicted locked with no hash, so a later task locking it plans nothing', async () => {
    const created = await planWith(user, { name: 'app' }, aUser('app', false));
    assert.equal(predicted(created, lockFact('app')), 'locked-empty');
    assert.equal(predicted(created, shadowFact('app')), null);
  });
});

describe('user: empty values (issue 16)', () => {
  const withGroups = (groups: string[]) => ({ [userKey('app')]: { ...aUser('app')[userKey('app')]!, groups: ['app', ...groups] }, ...aGroup('app') });
  const rows: Array<{ name: string; params: Record<string, unknown>; facts: Record<string, unknown>; changes: unknown[]; argv?: string[] }> = [
    { name: 'groups [] replaces: every supplementary group dropped', params: { groups: [] }, facts: withGroups(['a', 'b']), changes: [{ what: 'groups', before: ['a', 'b'], after: [] }], argv: ['usermod', '--groups', '', '--', 'app'] },
    { name: 'groups [] with append: nothing to do', params: { groups: [], append: true }, facts: withGroups(['a']), changes: [] },
    { name: 'groups [] and none: nothing to do', params: { groups: [] }, facts: withGroups([]), changes: [] },
    {
      name: "comment '' clears a comment",
      params: { comment: '' },
      facts: { [userKey('app')]: { ...aUser('app')[userKey('app')]!, comment: 'Some One' } },
      changes: [{ what: 'comment', before: 'Some One', after: '' }],
      argv: ['usermod', '--comment', '', '--', 'app'],
    },
    { name: "comment '' on an account without one: nothing to do", params: { comment: '' }, facts: { [userKey('app')]: { ...aUser('app')[userKey('app')]!, comment: '' } }, changes: [] },
    { name: 'a comment changed', params: { comment: 'New' }, facts: { [userKey('app')]: { ...aUser('app')[userKey('app')]!, comment: 'Old' } }, changes: [{ what: 'comment', before: 'Old', after: 'New' }], argv: ['usermod', '--comment', 'New', '--', 'app'] },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const plan = await planWith(user, { name: 'app', ...row.params }, row.facts);
      assert.deepEqual(plan.changes, row.changes);
      assert.deepEqual((plan.steps as RunStep[]).map((s) => s.argv), row.argv ? [row.argv] : []);
    });
  }

  it('the comment is read from the passwd entry, and given to useradd', async () => {
    assert.equal(parseUser('app', 'app:x:1000:1000:Some One,Room 1:/home/app:/bin/sh\napp\n').comment, 'Some One,Room 1');
    assert.equal(parseUser('app', 'app:x:1000:1000::/home/app:/bin/sh\napp\n').comment, '');
    const plan = await planWith(user, { name: 'app', comment: 'Some One' }, aUser('app', false));
    assert.ok((plan.steps[0] as RunStep).argv.join(' ').includes('--comment Some One --'));
    assert.equal(predicted(plan, userFact('app'))?.comment, 'Some One');
  });

  const refused: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ shell: '' }, 'shell', /^shell '' for 'app': an empty login shell means \/bin\/sh to login and su; give one/],
    [{ shell: 'bash' }, 'shell', /^shell 'bash' for 'app': a login shell is an absolute path/],
    [{ home: '' }, 'home', /^home '' for 'app': give an absolute path \(useradd and usermod refuse an empty one\)/],
    [{ home: 'srv/app' }, 'home', /refuse a relative one/],
  ];
  for (const [params, field, msg] of refused) {
    it(`${JSON.stringify(params)} is refused before any host is touched`, () => {
      const call = user({ name: 'app', ...params } as never);
      assert.throws(() => call.module.prepare!(call.params as never, { host: 'h', vars: {}, baseDir: '.' }), (e: unknown) => e instanceof PrepareError && e.field === field && msg.test(e.message));
    });
  }
});
