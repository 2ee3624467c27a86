// user: a local account, as useradd/usermod/userdel see it. The guide's case is a system user
// with a nologin shell. Its predicted user (and same-name group) lets a later task in the same
// dry run plan a file owned by the user that does not exist yet.
import { createHash, randomBytes } from 'node:crypto';
import { groupFact, uidFact, userFact, userProcessesFact, type UserFact } from '../../engine/facts/user.ts';
import { fileFact } from '../../engine/facts/file.ts';
import { predict, predictions, Predictions } from '../../engine/plan/predict.ts';
import { defineFact, type Fact } from '../../engine/facts/types.ts';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { PlanError, type Change, type Step } from '../../engine/plan/types.ts';
import { quote } from '../../engine/quote.ts';
import { isSecret, Secret } from '../../engine/secret.ts';
import { Choice, GroupName, SecretString, Type, UserName } from '../../engine/schema.ts';

const params = Type.Object(
  {
    name: UserName({ description: 'account name' }),
    state: Type.Optional(Choice(['present', 'absent'], { default: 'present', description: 'whether the account exists' })),
    system: Type.Optional(Type.Boolean({ description: 'create a system account (uid below 1000, no home unless createHome); only used when creating' })),
    shell: Type.Optional(Type.String({ description: "login shell, an absolute path, e.g. '/usr/sbin/nologin' (an empty one is refused: it means /bin/sh to login)" })),
    home: Type.Optional(Type.String({ description: 'home directory, an absolute path' })),
    comment: Type.Optional(Type.String({ pattern: '^[^:\\n]*$', description: "the GECOS field (full name...); '' clears it" })),
    createHome: Type.Optional(Type.Boolean({ description: 'create the home directory when creating the account (default: true, false for system accounts)' })),
    uid: Type.Optional(Type.Integer({ minimum: 0 })),
    group: Type.Optional(GroupName({ description: 'primary group (must exist); default: a group named like the user' })),
    groups: Type.Optional(Type.Array(GroupName(), { description: 'supplementary groups' })),
    append: Type.Optional(Type.Boolean({ default: false, description: 'add to `groups` without removing the account from others' })),
    password: Type.Optional(SecretString({ description: "an already hashed password (crypt(3), e.g. '$y$...'); never shown. A locked account stays locked when it changes (unless passwordLock: false)" })),
    passwordLock: Type.Optional(
      Type.Boolean({
        description: "true: the password is locked (usermod -L: a '!' before the hash, password logins refused, the hash kept); false: unlocked (usermod -U). Refused in the plan when unlocking would leave no usable password (a bare '!'): give `password` too",
      }),
    ),
    remove: Type.Optional(Type.Boolean({ default: false, description: 'with state absent: remove the home directory and mail spool too' })),
  },
  { additionalProperties: false },
);

/**
 * The password hash is compared without ever leaving the host in clear: the fact prints
 * sha256(NONCE + hash), and the plan compares that with sha256(NONCE + wanted hash), and predicts
 * it. A crypt hash is an offline cracking target, and a fact's value travels in the gather output
 * and sits in the fact store, from where text can reach output (an error quoting the output, a debug
 * dump). NONCE is random per process, so the digest is worth nothing outside this run: it cannot be
 * matched against the digest of a hash known from elsewhere (a playbook's repository, another run's
 * log), nor linked across runs. In the script the hash goes from getent through cut into a variable
 * and, by printf (a shell builtin), to sha256sum's stdin: it is never an argument of a process on
 * the host, which ps would show (the script itself is one, of sudo's sh -c: it holds only NONCE).
 */
const NONCE = randomBytes(16).toString('hex');

/** The digest the shadow fact reads for this hash, and predicts after setting it. */
export function shadowDigest(hash: string): string {
  return createHash('sha256').update(NONCE + hash).digest('hex');
}

/**
 * sha256(NONCE + the hashed password from /etc/shadow) (root only), a lock's '!' left out (the hash
 * is the same, locked or not: passwordLock says which); null without an entry or a hash. Read only
 * when the task manages it.
 */
export function shadowFact(name: string): Fact<string | null> {
  const script = [
    `h=$(getent shadow -- ${quote(name)} | cut -d: -f2)`,
    'h=${h#!}',
    `[ -n "$h" ] || exit 0`,
    `printf '%s%s' ${NONCE} "$h" | sha256sum | cut -d' ' -f1`,
  ].join('\n');
  return defineFact(`shadow:${name}`, script, (out) => {
    const digest = out.trim();
    if (digest === '') return null;
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`cannot read the password state of ${name}: sha256sum printed no digest`);
    return digest;
  });
}

/**
 * The lock state of the password, from the shadow entry's hash field, of which only its first
 * characters are looked at (in the shell, by `case`: no process sees the hash, none is printed):
 * 'locked' ('!' then a hash), 'locked-empty' ('!' with no hash behind it: '!', '!!', '!*', as
 * useradd leaves a new account; usermod -U refuses to unlock it), 'unlocked' (a hash), 'empty' (no
 * password at all: '' ) or 'disabled' ('*' and the like: unlocked, but no hash matches it). null
 * without an entry (no such user, or not root).
 */
export type PasswordLock = 'locked' | 'locked-empty' | 'unlocked' | 'empty' | 'disabled';
const LOCK_STATES: readonly string[] = ['locked', 'locked-empty', 'unlocked', 'empty', 'disabled'];

export function lockFact(name: string): Fact<PasswordLock | null> {
  const script = [
    `e=$(getent shadow -- ${quote(name)}) || exit 0`,
    'h=${e#*:}; h=${h%%:*}',
    "case $h in '!'|'!!'*|'!*'*) echo locked-empty ;; '!'*) echo locked ;; '') echo empty ;; '*'*|'x') echo disabled ;; *) echo unlocked ;; esac",
  ].join('\n');
  return defineFact(`pwlock:${name}`, script, (out) => {
    const state = out.trim();
    if (state === '') return null;
    if (!LOCK_STATES.includes(state)) throw new Error(`cannot read the password lock of ${name}: '${state.slice(0, 20)}'`);
    return state as PasswordLock;
  });
}

const isLocked = (s: PasswordLock | null): boolean => s === 'locked' || s === 'locked-empty';

export const user = defineModule({
  name: 'user',
  summary: 'Create, change or remove a local user account',
  doc: [
    "user({ name: 'smp', system: true, shell: '/usr/sbin/nologin', home: '/var/lib/smp' })",
    '',
    'passwordLock: true is usermod -L, false usermod -U; a lock and a new password in one task are',
    "written together ('!HASH'), and a new password keeps a lock the account had. Unlocking an account",
    "with no hash behind its '!' (a new one) is refused in the plan: it would have no password. The",
    "hash is compared as a digest and never leaves the host. groups: [] drops every supplementary",
    "group (with append: nothing to do); comment: '' clears the GECOS field; an empty shell or home",
    'is refused before any host is touched.',
  ].join('\n'),
  params,
  prepare(p) {
    // An empty value from a variable: usermod would set an empty shell (login runs /bin/sh), or fail
    // on the home ("homedir must be an absolute path") after the dry run said "changed".
    if (p.shell !== undefined && !p.shell.startsWith('/')) {
      throw new PrepareError(`shell '${p.shell}' for '${p.name}': ${p.shell === '' ? 'an empty login shell means /bin/sh to login and su' : 'a login shell is an absolute path'}; give one (e.g. '/usr/sbin/nologin'), or leave shell out to keep the account's`, 'shell');
    }
    if (p.home !== undefined && !p.home.startsWith('/')) {
      throw new PrepareError(`home '${p.home}' for '${p.name}': give an absolute path (useradd and usermod refuse ${p.home === '' ? 'an empty' : 'a relative'} one), or leave home out to keep the account's`, 'home');
    }
  },
  facts(p) {
    const facts: Fact[] = [userFact(p.name)];
    if (p.group) facts.push(groupFact(p.group));
    for (const g of p.groups ?? []) facts.push(groupFact(g));
    if (p.password !== undefined) facts.push(shadowFact(p.name));
    // The lock is kept when the password changes: read it then too.
    if (p.password !== undefined || p.passwordLock !== undefined) facts.push(lockFact(p.name));
    // What would make useradd/usermod/userdel fail, read so that the dry run says it as the real run will.
    if (p.uid !== undefined && p.state !== 'absent') facts.push(uidFact(p.uid));
    if (p.state === 'absent') facts.push(userProcessesFact(p.name));
    return facts;
  },
  plan(p, { facts }) {
    const current = facts.get(userFact(p.name));
    if (p.state === 'absent') {
      if (!current.exists) return { changes: [], steps: [] };
      const procs = userProcessesFact(p.name);
      const running = facts.get(procs);
      // A service stopped by an earlier task of a dry run may be these processes: the real run reads them again.
      if (running.length > 0 && !facts.uncertain?.(procs)) {
        const shown = running.slice(0, 5).map((r) => `${r.pid} ${r.command}`).join(', ');
        throw new PlanError(
          `user '${p.name}' has ${running.length} running process${running.length > 1 ? 'es' : ''} (${shown}${running.length > 5 ? ', ...' : ''}): userdel would refuse; stop them first (a systemd task stopping the user's service, or pkill -u ${p.name} in a command task)`,
        );
      }
      const argv = ['userdel', ...(p.remove ? ['--remove'] : []), '--', p.name];
      return {
        changes: [{ what: 'user', before: 'present', after: 'absent' }],
        steps: [{ kind: 'run', argv }],
        after: predictions(
          predict(userFact(p.name), { exists: false, name: p.name, uid: null, gid: null, home: null, shell: null }),
          current.uid !== null && predict(uidFact(current.uid), null),
          predict(lockFact(p.name), null),
          predict(shadowFact(p.name), null),
        ),
        invalidates: [groupFact(p.name).key, ...(current.home ? [fileFact(current.home).key] : [])],
      };
    }
    if (p.uid !== undefined && p.uid !== current.uid) {
      const holder = facts.get(uidFact(p.uid));
      if (holder !== null && holder !== p.name) {
        throw new PlanError(`uid ${p.uid} is already used by the user '${holder}': ${current.exists ? 'usermod' : 'useradd'} would refuse; choose another uid, or renumber or remove '${holder}' in an earlier task`);
      }
    }
    for (const g of [p.group, ...(p.groups ?? [])].filter((g): g is string => Boolean(g))) {
      if (!facts.get(groupFact(g)).exists) throw new PlanError(`group '${g}' does not exist (create it with the group module first)`);
    }
    const wantedGroups = p.groups ?? [];
    const steps: Step[] = [];
    const changes: Change[] = [];
    let predicted: UserFact;
    const after = new Predictions();

    if (!current.exists) {
      const system = Boolean(p.system);
      const createHome = p.createHome ?? !system;
      const argv = ['useradd'];
      if (system) argv.push('--system');
      if (p.uid !== undefined) argv.push('--uid', String(p.uid));
      if (p.group) argv.push('--gid', p.group);
      else argv.push('--user-group');
      if (wantedGroups.length > 0) argv.push('--groups', wantedGroups.join(','));
      if (p.home) argv.push('--home-dir', p.home);
      argv.push(createHome ? '--create-home' : '--no-create-home');
      if (p.shell) argv.push('--shell', p.shell);
      if (p.comment) argv.push('--comment', p.comment);
      argv.push('--', p.name);
      steps.push({ kind: 'run', argv });
      const home = p.home ?? `/home/${p.name}`;
      changes.push({ what: 'user', before: 'absent', after: describe({ system, home, shell: p.shell, uid: p.uid, groups: wantedGroups, comment: p.comment }) });
      predicted = { exists: true, name: p.name, uid: p.uid ?? null, gid: null, home, shell: p.shell ?? '/bin/sh', comment: p.comment ?? '', groups: [p.group ?? p.name, ...wantedGroups] };
      // useradd leaves the password locked with no hash ('!'): a later task locking it has nothing to do.
      after.set(lockFact(p.name), 'locked-empty').set(shadowFact(p.name), null);
      if (!p.group) after.set(groupFact(p.name), { exists: true, name: p.name, gid: null, members: [] });
      if (createHome) after.set(fileFact(home), { exists: true, type: 'directory', mode: '0755', owner: p.name, group: p.group ?? p.name, size: null, sha256: null, linkTarget: null });
    } else {
      predicted = { ...current };
      const mod: string[] = [];
      const attr = (what: string, before: unknown, wanted: unknown, flag: string[], apply: () => void) => {
        if (wanted === undefined || before === wanted) return;
        changes.push({ what, before, after: wanted });
        mod.push(...flag);
        apply();
      };
      attr('shell', current.shell, p.shell, ['--shell', p.shell ?? ''], () => (predicted.shell = p.shell!));
      attr('home', current.home, p.home, ['--home', p.home ?? ''], () => (predicted.home = p.home!));
      attr('uid', current.uid, p.uid, ['--uid', String(p.uid)], () => (predicted.uid = p.uid!));
      attr('comment', current.comment ?? '', p.comment, ['--comment', p.comment ?? ''], () => (predicted.comment = p.comment!));
      if (p.group) {
        const primaryGid = facts.get(groupFact(p.group)).gid;
        attr('group', current.gid, primaryGid ?? p.group, ['--gid', p.group], () => (predicted.gid = primaryGid));
      }
      if (p.groups) {
        const have = new Set(current.groups ?? []);
        const primary = current.groups?.[0];
        const missing = wantedGroups.filter((g) => !have.has(g));
        const extra = [...have].filter((g) => g !== primary && !wantedGroups.includes(g));
        if (p.append ? missing.length > 0 : missing.length > 0 || extra.length > 0) {
          const newGroups = p.append ? [...have].filter((g) => g !== primary).concat(missing) : wantedGroups;
          changes.push({ what: 'groups', before: [...have].filter((g) => g !== primary), after: newGroups });
          mod.push(...(p.append ? ['--append', '--groups', missing.join(',')] : ['--groups', wantedGroups.join(',')]));
          predicted.groups = [primary ?? p.name, ...newGroups];
        }
      }
      if (mod.length > 0) steps.push({ kind: 'run', argv: ['usermod', ...mod, '--', p.name] });
    }

    // The password and its lock: the end state is one shadow field, '!' (locked) or not, then the
    // hash. A new hash goes in whole, its lock included, by one chpasswd -e (so a lock and a new
    // password in one task leave '!HASH', which the next run reads as locked with that hash); a
    // lock alone is usermod -L or -U, which keep the hash.
    // useradd leaves a new account with '!' (locked, no hash).
    if (p.password !== undefined || p.passwordLock !== undefined) {
      const lockBefore: PasswordLock | null = current.exists ? facts.get(lockFact(p.name)) : 'locked-empty';
      let newHash: string | undefined;
      if (p.password !== undefined) {
        const hash = isSecret(p.password) ? p.password.reveal() : p.password;
        if (hash.startsWith('!')) throw new PlanError(`the password of '${p.name}' starts with '!' (a locked hash): give the hash without it, and passwordLock: true to lock it`);
        const wanted = shadowDigest(hash);
        const before = current.exists ? facts.get(shadowFact(p.name)) : null;
        if (before !== wanted) {
          changes.push({ what: 'password', before: before ? 'set' : 'none', after: 'set', sensitive: true });
          newHash = hash;
          after.set(shadowFact(p.name), wanted);
        }
      }
      // A new hash keeps a lock the account had ('!' before a hash) unless passwordLock says otherwise;
      // the '!' of an account that never had a password (useradd's) is no lock to keep.
      const lockedBefore = isLocked(lockBefore);
      const lockWanted = p.passwordLock ?? (newHash !== undefined ? lockBefore === 'locked' : lockedBefore);
      if (p.passwordLock === false && lockBefore === 'locked-empty' && newHash === undefined) {
        throw new PlanError(
          `cannot unlock the password of '${p.name}': there is no hash behind its lock (${current.exists ? "its shadow entry holds only '!'" : 'useradd creates it so'}), and unlocking would leave an account with no password (usermod -U refuses, and changes nothing); give a hashed password in the same task (password: ...), or leave it locked`,
        );
      }
      if (p.passwordLock !== undefined && (p.passwordLock !== lockedBefore || !current.exists)) {
        changes.push({ what: 'password lock', before: current.exists ? (lockedBefore ? 'locked' : 'unlocked') : null, after: p.passwordLock ? 'locked' : 'unlocked' });
      }
      if (newHash !== undefined) {
        // chpasswd -e reads NAME:HASH on stdin: the hash never appears in a command line.
        steps.push({ kind: 'run', argv: ['chpasswd', '--encrypted'], stdin: new Secret(`${p.name}:${lockWanted ? '!' : ''}${newHash}\n`) });
        after.set(lockFact(p.name), lockWanted ? 'locked' : 'unlocked');
      } else if (lockWanted !== lockedBefore) {
        // usermod -L puts '!' before what is there (a hash, nothing, '*'); -U (only from 'locked' here) takes it off.
        steps.push({ kind: 'run', argv: ['usermod', lockWanted ? '--lock' : '--unlock', '--', p.name] });
        after.set(lockFact(p.name), !lockWanted ? 'unlocked' : lockBefore === 'unlocked' ? 'locked' : 'locked-empty');
      }
    }
    if (changes.length === 0) return { changes: [], steps: [] };
    if (p.uid !== undefined && p.uid !== current.uid) {
      after.set(uidFact(p.uid), p.name);
      if (current.uid !== null) after.set(uidFact(current.uid), null);
    }
    return { changes, steps, after: after.set(userFact(p.name), predicted).record() };
  },
});

function describe(u: { system: boolean; home: string; shell?: string; uid?: number; groups: string[]; comment?: string }): string {
  return [
    u.system ? 'system user' : 'user',
    `home ${u.home}`,
    u.shell && `shell ${u.shell}`,
    u.uid !== undefined && `uid ${u.uid}`,
    u.groups.length > 0 && `groups ${u.groups.join(',')}`,
    u.comment && `comment '${u.comment}'`,
  ].filter(Boolean).join(', ');
}
