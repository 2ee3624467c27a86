import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { authorizedKeysFact, parseAuthorizedKeys, type AuthorizedKeysFact } from './facts.ts';
import { ABSENT_FILE, fileFact, fileKey, type FileFact } from '../../engine/facts/file.ts';
import { userKey, type UserFact } from '../../engine/facts/user.ts';
import { PlanError } from '../../engine/plan/types.ts';
import { authorizedKey, editKeys, expiryInstant, keyOptions, lockingOptions, parseKey } from './authorized-key.ts';
import { aFile, aUser, planWith, predicted, sha256 } from '../../test/unit/modules/fake-facts.ts';

const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@laptop';
const K2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ci@build';
const K1_OPTS = 'from="10.0.0.0/8",command="echo a b" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@laptop';
const HOME = '/home/deploy';
const PATH = `${HOME}/.ssh/authorized_keys`;

const dirFact = (attrs: Partial<FileFact> = {}): FileFact => ({ ...ABSENT_FILE, exists: true, type: 'directory', mode: '0700', owner: 'deploy', group: 'deploy', size: 4096, ...attrs });
const keysFile = (content: string, attrs: Partial<FileFact> = {}): FileFact => ({ ...aFile(PATH, content, { mode: '0600', owner: 'deploy', group: 'deploy', ...attrs })[fileKey(PATH)]! });
function host(file: FileFact | null, dir: FileFact | null = dirFact()): Record<string, unknown> {
  return {
    ...aUser('deploy'),
    [authorizedKeysFact('deploy').key]: { home: HOME, group: 'deploy', dir: dir ?? { ...ABSENT_FILE }, file: file ?? { ...ABSENT_FILE } } satisfies AuthorizedKeysFact,
  };
}

describe('authorizedKey: parsing keys', () => {
  it('type and body, with options (quoted spaces) and without comment', () => {
    assert.deepEqual(parseKey(K1_OPTS), { line: K1_OPTS, type: 'ssh-ed25519', body: 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' });
    assert.equal(parseKey('ssh-rsa AAAAB3Nza')?.type, 'ssh-rsa');
    assert.equal(parseKey('# comment'), undefined);
    assert.equal(parseKey('not a key'), undefined);
  });
  it('editKeys: add, keep, update options, remove, exclusive', () => {
    assert.deepEqual(editKeys('', [parseKey(K1)!], {}).text, `${K1}\n`);
    assert.deepEqual(editKeys(`${K1}\n`, [parseKey(K1)!], {}).what, []);
    assert.deepEqual(editKeys(`# keep me\n${K1}\n`, [parseKey(K1_OPTS)!], {}).text, `# keep me\n${K1_OPTS}\n`);
    assert.deepEqual(editKeys(`${K2}\n${K1}\n`, [parseKey(K1)!], { state: 'absent' }).text, `${K2}\n`);
    const ex = editKeys(`# old\n${K2}\n${K1}\n`, [parseKey(K1)!], { exclusive: true });
    assert.equal(ex.text, `${K1}\n`);
    assert.equal(ex.what.length, 2);
    assert.deepEqual(editKeys(`${K1}\n`, [parseKey(K1)!], { exclusive: true }).what, []);
  });
  it('the fact reads home, group, folder and file', () => {
    const out = `home=${HOME}\ngroup=deploy\n@@dir\ntype=directory\nmode=700\nowner=deploy\ngroup=deploy\nuid=1000\ngid=1000\nsize=4096\n@@file\nabsent\n`;
    const f = parseAuthorizedKeys('deploy', out, 0);
    assert.equal(f.home, HOME);
    assert.equal(f.dir.mode, '0700');
    assert.equal(f.file.exists, false);
    assert.equal(parseAuthorizedKeys('x', 'nouser\n', 0).home, null);
  });
});

describe('authorizedKey: plan', () => {
  it('fresh: .ssh created 0700, the file written 0600, both the user\'s; a text diff; predictions', async () => {
    const plan = await planWith(authorizedKey, { user: 'deploy', key: K1 }, host(null, null));
    assert.deepEqual(plan.changes.map((c) => c.what), [`directory ${HOME}/.ssh`, 'key added: ssh-ed25519 Wi0dh2l9GKJl', 'owner', 'group', 'mode']);
    assert.deepEqual(plan.changes[1]!.text, { path: PATH, before: '', after: `${K1}\n` });
    assert.deepEqual(plan.steps, [
      { kind: 'mkdir', path: `${HOME}/.ssh`, mode: '0700', owner: 'deploy', group: 'deploy' },
      { kind: 'write', path: PATH, content: `${K1}\n`, mode: '0600', owner: 'deploy', group: 'deploy' },
    ]);
    const again = await planWith(authorizedKey, { user: 'deploy', key: K1 }, { ...aUser('deploy'), [authorizedKeysFact('deploy').key]: predicted(plan, authorizedKeysFact('deploy')) });
    assert.deepEqual([again.changes, again.steps], [[], []]);
    assert.equal(predicted(plan, fileFact(PATH))!.content, `${K1}\n`);
  });

  it('converged: nothing', async () => {
    const plan = await planWith(authorizedKey, { user: 'deploy', key: [K1, K2] }, host(keysFile(`${K2}\n${K1}\n`)));
    assert.deepEqual([plan.changes, plan.steps], [[], []]);
  });

  it('wrong modes: chmod of the folder and the file, no rewrite', async () => {
    const plan = await planWith(authorizedKey, { user: 'deploy', key: K1 }, host(keysFile(`${K1}\n`, { mode: '0644' }), dirFact({ mode: '0755' })));
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: `${HOME}/.ssh`, mode: '0700' }, { kind: 'attrs', path: PATH, mode: '0600' }]);
  });

  it('exclusive removes the other keys; absent removes the given ones; absent without a file is nothing', async () => {
    const ex = await planWith(authorizedKey, { user: 'deploy', key: K1, exclusive: true }, host(keysFile(`${K2}\n${K1}\n`)));
    assert.equal((ex.steps[0] as any).content, `${K1}\n`);
    const gone = await planWith(authorizedKey, { user: 'deploy', key: K1, state: 'absent' }, host(keysFile(`${K2}\n${K1}\n`)));
    assert.equal((gone.steps[0] as any).content, `${K2}\n`);
    assert.deepEqual((await planWith(authorizedKey, { user: 'deploy', key: K1, state: 'absent' }, host(null))).steps, []);
  });

  it('a user an earlier task creates: its predicted home, an empty file, nothing read from the host', async () => {
    const predicted: UserFact = { exists: true, name: 'relay', uid: null, gid: null, home: '/srv/relay', shell: '/bin/sh', groups: ['relay'] };
    const plan = await planWith(authorizedKey, { user: 'relay', key: K1 }, {
      [userKey('relay')]: predicted,
      [authorizedKeysFact('relay').key]: { home: null, group: null, dir: { ...ABSENT_FILE }, file: { ...ABSENT_FILE } },
    });
    assert.equal((plan.steps[0] as any).path, '/srv/relay/.ssh');
    assert.equal((plan.steps[1] as any).path, '/srv/relay/.ssh/authorized_keys');
  });

  it('a missing user, a bad key, exclusive with absent: errors', async () => {
    await assert.rejects(planWith(authorizedKey, { user: 'ghost', key: K1 }, { ...aUser('ghost', false), [authorizedKeysFact('ghost').key]: { home: null, group: null, dir: ABSENT_FILE, file: ABSENT_FILE } }), PlanError);
    await assert.rejects(planWith(authorizedKey, { user: 'deploy', key: 'ssh-ed25519 not/base64!' }, host(null)), /not an OpenSSH public key/);
    await assert.rejects(planWith(authorizedKey, { user: 'deploy', key: `${K1}\nssh-rsa AAAA evil` }, host(null)), /invalid params/);
    await assert.rejects(planWith(authorizedKey, { user: 'deploy', key: K1, exclusive: true, state: 'absent' }, host(null)), /exclusive/);
  });

  it("lockout guard: leaving the login user's file without the engine's login key is refused, naming it", async () => {
    const own = { type: 'ssh-ed25519', body: K1.split(' ')[1]! };
    const login = { user: 'deploy', keys: [own] };
    const file = host(keysFile(`${K1_OPTS}\n${K2}\n`));
    await assert.rejects(planWith(authorizedKey, { user: 'deploy', key: K2, exclusive: true }, file, { login }), (e: Error) => e instanceof PlanError && /logs in to web1 with \(ssh-ed25519 \.\.\.Wi0dh2l9GKJl\)/.test(e.message) && /add the new key first/.test(e.message));
    await assert.rejects(planWith(authorizedKey, { user: 'deploy', key: K1, state: 'absent' }, file, { login }), /refusing to remove/);
    // Kept (options rewritten), another user's file, a key file not in use, no keys known: planned as usual.
    assert.equal((await planWith(authorizedKey, { user: 'deploy', key: [K1, K2], exclusive: true }, file, { login })).changes.length > 0, true);
    assert.equal((await planWith(authorizedKey, { user: 'deploy', key: K2, exclusive: true }, file, { login: { user: 'admin', keys: [own] } })).changes.length > 0, true);
    assert.equal((await planWith(authorizedKey, { user: 'deploy', key: K2, exclusive: true }, host(keysFile(`${K2}\n`)), { login })).changes.length, 0);
    assert.equal((await planWith(authorizedKey, { user: 'deploy', key: K2, exclusive: true }, file, { login: { user: 'deploy', keys: [] } })).changes.length > 0, true);
    // An agent's keys: one of them left in the file is enough; none left is refused.
    const agent = { user: 'deploy', keys: [own, { type: 'ssh-rsa', body: K2.split(' ')[1]! }] };
    assert.equal((await planWith(authorizedKey, { user: 'deploy', key: K2, exclusive: true }, file, { login: agent })).changes.length > 0, true);
    await assert.rejects(planWith(authorizedKey, { user: 'deploy', key: [K1, K2], state: 'absent' }, file, { login: agent }), /refusing to remove/);
  });

  it('a given path: no folder management, the file fact keyed by path', async () => {
    const path = '/etc/ssh/keys/deploy';
    const plan = await planWith(authorizedKey, { user: 'deploy', key: K1, path }, {
      ...aUser('deploy'),
      [authorizedKeysFact('deploy', path).key]: { home: HOME, group: 'deploy', dir: dirFact({ owner: 'root', group: 'root', mode: '0755' }), file: { ...ABSENT_FILE } },
    });
    assert.deepEqual(plan.steps.map((s) => s.kind), ['write']);
    assert.equal((plan.steps[0] as any).content, `${K1}\n`);
    assert.equal(sha256(`${K1}\n`), predicted(plan, fileFact(path))!.sha256);
  });
});

// The login key rewritten with options: K1 is the key the engine logs in with, beside K2 in the file.
const own = { type: 'ssh-ed25519', body: K1.split(' ')[1]! };
const two = { type: 'ssh-rsa', body: K2.split(' ')[1]! };
const K3 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB ops@desk';
/** A UTC expiry-time this many hours from now. */
const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 12) + 'Z';

interface KeyRow {
  name: string;
  /** The options put on the login key's line (the task's key). */
  options?: string;
  /** Instead: the task's params, the file and the login. */
  params?: Record<string, unknown>;
  file?: string;
  login?: { user: string; keys: Array<{ type: string; body: string }> };
  /** What the error must say; undefined: planned. */
  refused?: RegExp;
}

const KEY_REFUSED: KeyRow[] = [
  { name: 'command= forces a command', options: 'command="/usr/bin/true"', refused: /command="\/usr\/bin\/true" runs that command instead of the engine's/ },
  { name: 'from= another network', options: 'from="10.0.0.0/8"', refused: /from="10\.0\.0\.0\/8" admits only the addresses it lists, and the engine cannot be sure its next connection comes from one of them/ },
  { name: "from= even the controller's address: not provable from here", options: 'from="10.77.0.1"', refused: /from="10\.77\.0\.1" admits only/ },
  { name: 'restrict: no port forwarding for hosts behind this one', options: 'restrict', refused: /restrict turns off port forwarding: hosts that use this one as their jump host/ },
  { name: 'no-port-forwarding', options: 'no-port-forwarding', refused: /no-port-forwarding turns off port forwarding/ },
  { name: 'port-forwarding then restrict: restrict wins, as sshd reads them in order', options: 'port-forwarding,restrict', refused: /restrict turns off port forwarding/ },
  { name: 'permitopen=', options: 'permitopen="10.0.0.5:22"', refused: /permitopen="10\.0\.0\.5:22" limits where connections through this host may go/ },
  { name: 'environment=', options: 'environment="PATH=/nonexistent"', refused: /environment="PATH=\/nonexistent" changes the environment of the engine's commands/ },
  { name: 'cert-authority', options: 'cert-authority', refused: /cert-authority makes the line accept certificates/ },
  { name: 'principals=', options: 'principals="deploy"', refused: /principals="deploy" is for certificate authorities/ },
  { name: 'verify-required', options: 'verify-required', refused: /verify-required needs a FIDO PIN/ },
  { name: 'expiry-time in the past', options: 'expiry-time="20000101"', refused: /expiry-time="20000101" ends the key's logins already/ },
  { name: 'expiry-time in the past, UTC', options: 'expiry-time="200001011200Z"', refused: /ends the key's logins already/ },
  { name: 'expiry-time within a day', options: `expiry-time="${inHours(3)}"`, refused: /ends the key's logins within a day/ },
  { name: 'expiry-time sshd cannot read', options: 'expiry-time="2999"', refused: /is not a time sshd reads: it skips the line/ },
  { name: 'an option in capitals among harmless ones', options: 'no-pty,Command="id"', refused: /Command="id" runs that command/ },
  { name: 'an option sshd does not know', options: 'no-ptyy', refused: /no-ptyy is not an option sshd knows: it skips the line/ },
  {
    name: "the agent's first key rewritten with command=, a clean second key after it: sshd takes the first it accepts",
    params: { user: 'deploy', key: `command="/bin/false" ${K1}` },
    file: `${K1}\n${K2}\n`,
    login: { user: 'deploy', keys: [own, two] },
    refused: /command="\/bin\/false" runs that command/,
  },
  {
    name: 'removing the clean login key leaves only a restricted one',
    params: { user: 'deploy', key: `from="10.0.0.0/8" ${K2}`, exclusive: true },
    file: `${K1}\nfrom="10.0.0.0/8" ${K2}\n`,
    login: { user: 'deploy', keys: [own, two] },
    refused: /options on the key the engine logs in to web1 with \(ssh-rsa \.\.\.[^)]*\): from="10\.0\.0\.0\/8" admits only/,
  },
];

const KEY_PLANNED: KeyRow[] = [
  { name: 'no-pty: the engine runs exec channels without a pty', options: 'no-pty' },
  { name: 'no-X11-forwarding, no-agent-forwarding, no-user-rc', options: 'no-X11-forwarding,no-agent-forwarding,no-user-rc' },
  { name: 'restrict,port-forwarding', options: 'restrict,port-forwarding' },
  { name: 'the permissive forms and touch-required', options: 'pty,X11-forwarding,agent-forwarding,user-rc,touch-required' },
  { name: 'permitlisten= and tunnel=: remote forwards and tun devices the engine does not use', options: 'permitlisten="localhost:8080",tunnel="0"' },
  { name: 'an expiry-time years away', options: 'expiry-time="29991231"' },
  {
    name: 'the agent offers a clean key first: a restriction on a later one is not what it logs in with',
    params: { user: 'deploy', key: `command="/bin/false" ${K1}` },
    file: `${K1}\n${K2}\n`,
    login: { user: 'deploy', keys: [two, own] },
  },
  {
    name: 'a restricted login key line the edit leaves as it is',
    params: { user: 'deploy', key: K3 },
    file: `${K1_OPTS}\n${K2}\n`,
  },
  { name: "another user's file", options: 'command="/usr/bin/true"', login: { user: 'admin', keys: [own] } },
];

describe('authorizedKey: lockout guard, the login key rewritten with options', () => {
  const run = (row: KeyRow) =>
    planWith(authorizedKey, row.params ?? { user: 'deploy', key: `${row.options} ${K1}` }, host(keysFile(row.file ?? `${K1}\n${K2}\n`)), { login: row.login ?? { user: 'deploy', keys: [own] } });
  it('refused, saying why and how to do it safely; nothing planned', async () => {
    for (const row of KEY_REFUSED) {
      await assert.rejects(run(row), (e: Error) => {
        assert.ok(e instanceof PlanError, `${row.name}: ${e.message}`);
        assert.match(e.message, row.refused!, row.name);
        assert.match(e.message, /first add a second key without these options and point the inventory's privateKey at it, or set the restrictions from another connection than the engine's/, row.name);
        return true;
      }, row.name);
    }
  });
  it('planned: options the engine does not need, and keys it does not log in with', async () => {
    for (const row of KEY_PLANNED) {
      const plan = await run(row).catch((e: Error) => assert.fail(`${row.name}: ${e.message}`));
      assert.ok(plan.changes.length > 0, row.name);
    }
  });
  it('keyOptions: split outside quotes; a line without options has none', () => {
    assert.deepEqual(keyOptions(K1_OPTS), ['from="10.0.0.0/8"', 'command="echo a b"']);
    assert.deepEqual(keyOptions('command="a,b",no-pty ' + K1), ['command="a,b"', 'no-pty']);
    assert.deepEqual(keyOptions(K1), []);
  });
  it('expiryInstant: dates and times, Z and UTC, the earliest local reading; others undefined', () => {
    assert.equal(expiryInstant('20300101Z'), Date.UTC(2030, 0, 1));
    assert.equal(expiryInstant('203001011230UTC'), Date.UTC(2030, 0, 1, 12, 30));
    assert.equal(expiryInstant('20300101123045'), Date.UTC(2030, 0, 1, 12, 30, 45) - 14 * 3600_000);
    for (const bad of ['2030', '20301301', '20300230', '2030010125', 'soon']) assert.equal(expiryInstant(bad), undefined, bad);
  });
  it('lockingOptions: nothing for no options', () => {
    assert.deepEqual(lockingOptions([], 0), []);
  });
});
