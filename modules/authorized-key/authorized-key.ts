// authorizedKey: OpenSSH public keys in a user's authorized_keys, found by key type and body (the
// options and comment may change and are then rewritten). The ~/.ssh folder (0700) and the file
// (0600) belong to the user. The user may be one an earlier task creates: its predicted home is used.
import { posix } from 'node:path';
import { authorizedKeysFact } from './facts.ts';
import { ABSENT_FILE, fileFact, type FileFact } from '../../engine/facts/file.ts';
import { groupKey, userFact } from '../../engine/facts/user.ts';
import { defineModule, PrepareError, type FactReader, type PlanContext } from '../../engine/module.ts';
import { Predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Plan, type Step } from '../../engine/plan/types.ts';
import { Choice, OneOrMany, toList, Type, UserName } from '../../engine/schema.ts';
import type { PublicKeyId } from '../../engine/connection/types.ts';
import { planAttributes } from '../shared/attributes.ts';
import { contentOf, planWrite } from '../shared/content.ts';

const params = Type.Object(
  {
    user: UserName({ description: 'The account whose authorized keys these are. It must exist, or be created by an earlier task.' }),
    key: OneOrMany(Type.String({ minLength: 1, pattern: '^[^\\n\\r]+$' }), {
      description: "One or more OpenSSH public key lines ('ssh-ed25519 AAAA... comment'), options allowed in front ('from=\"10.0.0.0/8\" ssh-ed25519 AAAA...'). A key is identified by its type and body.",
    }),
    state: Type.Optional(Choice(['present', 'absent'], { default: 'present', description: 'present: each key is in the file, as given; absent: none of them is.' })),
    exclusive: Type.Optional(Type.Boolean({ description: 'With state present: the file holds exactly these keys, every other line is removed. Default false.' })),
    path: Type.Optional(Type.String({ pattern: '^/', description: "The file, when not the default ~USER/.ssh/authorized_keys (e.g. for an AuthorizedKeysFile elsewhere)." })),
    manageDir: Type.Optional(Type.Boolean({ description: "Create the file's folder (0700, owned by the user) and fix its mode and owner. Default: true for the default path, false for a given path." })),
  },
  { additionalProperties: false },
);

export interface PublicKey {
  /** The line as given (trimmed). */
  line: string;
  type: string;
  body: string;
}

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|[a-z0-9-]+-cert-v01@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,3}$/;

/** Splits on blanks outside double quotes (options like command="a b" stay one word). */
function words(line: string): string[] {
  return line.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? [];
}

/** The key in an authorized_keys line, or undefined for comments, blank lines and lines that hold no key. */
export function parseKey(line: string): PublicKey | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  const w = words(t);
  for (let i = 0; i + 1 < w.length && i < 2; i++) {
    if (KEY_TYPE.test(w[i]!) && BASE64.test(w[i + 1]!)) return { line: t, type: w[i]!, body: w[i + 1]! };
  }
  return undefined;
}

const same = (a: Pick<PublicKey, 'type' | 'body'>, b: Pick<PublicKey, 'type' | 'body'>) => a.type === b.type && a.body === b.body;

/** The options field of a key line, split on the commas outside quotes ([] when it has none). */
export function keyOptions(line: string): string[] {
  const w = words(line.trim());
  if (w.length < 3 || !KEY_TYPE.test(w[1]!)) return [];
  return w[0]!.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
}

/**
 * Options that leave the engine's own use of a key as it is: it runs commands in exec channels
 * (no pty), forwards no agent and no X11, needs no ~/.ssh/rc, and opens no remote forwards
 * (permitlisten) or tunnel devices. touch-required is the default of FIDO keys.
 */
const HARMLESS = new Set(['pty', 'no-pty', 'x11-forwarding', 'no-x11-forwarding', 'agent-forwarding', 'no-agent-forwarding', 'user-rc', 'no-user-rc', 'touch-required', 'no-touch-required', 'port-forwarding', 'no-port-forwarding', 'restrict']);
const HARMLESS_VALUED = new Set(['permitlisten', 'tunnel']);
/** An expiry-time closer than this (in any time zone: the host's is not known) could come before the engine's next login. */
const EXPIRY_MARGIN_MS = 24 * 3600_000;

/** The earliest instant an expiry-time can mean (sshd reads it in the host's time zone unless it ends in Z or UTC); undefined when sshd would not read it. */
export function expiryInstant(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z|UTC)?$/i.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, sec);
  if (mo < 1 || mo > 12 || new Date(utc).getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return undefined;
  return m[7] ? utc : utc - 14 * 3600_000;
}

/**
 * Why a key line's options could stop the engine's next login with that key, or the /bin/sh -c it
 * runs: empty when they cannot. Options are read as sshd reads them (in order, names in any case).
 */
export function lockingOptions(options: readonly string[], now: number): string[] {
  const why: string[] = [];
  let forwarding: string | undefined;
  for (const option of options) {
    const eq = option.indexOf('=');
    const name = (eq < 0 ? option : option.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : option.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    if (name === 'restrict' || name === 'no-port-forwarding') forwarding = option;
    else if (name === 'port-forwarding') forwarding = undefined;
    if (eq < 0 ? HARMLESS.has(name) : HARMLESS_VALUED.has(name)) continue;
    if (name === 'command') why.push(`${option} runs that command instead of the engine's`);
    else if (name === 'from') why.push(`${option} admits only the addresses it lists, and the engine cannot be sure its next connection comes from one of them as sshd sees it (NAT, jump hosts and names change that)`);
    else if (name === 'environment') why.push(`${option} changes the environment of the engine's commands (when sshd's PermitUserEnvironment allows it)`);
    else if (name === 'cert-authority') why.push(`${option} makes the line accept certificates signed by the key, not the key itself`);
    else if (name === 'principals') why.push(`${option} is for certificate authorities: sshd may refuse the line`);
    else if (name === 'verify-required') why.push(`${option} needs a FIDO PIN the engine cannot give`);
    else if (name === 'permitopen') why.push(`${option} limits where connections through this host may go: hosts that use it as their jump host may become unreachable`);
    else if (name === 'expiry-time') {
      const at = expiryInstant(value);
      if (at === undefined) why.push(`${option} is not a time sshd reads: it skips the line`);
      else if (at <= now + EXPIRY_MARGIN_MS) why.push(`${option} ends the key's logins ${at <= now ? 'already' : 'within a day'}`);
    } else why.push(`${option} is not an option sshd knows: it skips the line`);
  }
  if (forwarding !== undefined) why.push(`${forwarding} turns off port forwarding: hosts that use this one as their jump host become unreachable (give port-forwarding after restrict if that is all that is wanted)`);
  return why;
}

export type LoginKeyLockout = { key: PublicKey; removed: true } | { key: PublicKey; removed: false; why: string[] };

/**
 * The lockout guard: what the edit does to the keys the engine may have logged in with (its key
 * file's, or the keys of its ssh agent, in the order it offers them), or undefined when it cannot
 * stop the next login. sshd takes the first offered key it accepts, with the options of that key's
 * first line: a changed line whose options could stop the login or the commands is refused before a
 * clean one is reached; lines the edit leaves as they are work as they did. Taking all of them out
 * of the file that had one is refused, and so is any edit of them that leaves only restricted ones.
 */
export function loginKeyLockout(before: string, after: string, user: string, login: PlanContext['login'], now = Date.now()): LoginKeyLockout | undefined {
  if (!login || login.user !== user || login.keys.length === 0) return undefined;
  const held = (text: string) => text.split('\n').map(parseKey).filter((k) => k !== undefined).filter((k) => login.keys.some((l) => same(k, l)));
  const had = held(before);
  if (had.length === 0) return undefined;
  const got = held(after);
  if (got.length === 0) return { key: had[0]!, removed: true };
  const linesOf = (keys: PublicKey[], id: PublicKeyId) => keys.filter((k) => same(k, id)).map((k) => k.line).join('\n');
  const changed = (id: PublicKeyId) => linesOf(had, id) !== linesOf(got, id);
  for (const id of login.keys) {
    const first = got.find((k) => same(k, id));
    if (!first) continue;
    const why = lockingOptions(keyOptions(first.line), now);
    if (why.length === 0) return undefined;
    if (changed(id)) return { key: first, removed: false, why };
  }
  if (!login.keys.some(changed)) return undefined;
  return { key: got[0]!, removed: false, why: lockingOptions(keyOptions(got[0]!.line), now) };
}

/** Applies the keys to the file's text; `what` lists what changed ('key added: COMMENT'...). */
export function editKeys(text: string, keys: PublicKey[], opts: { state?: 'present' | 'absent'; exclusive?: boolean }): { text: string; what: string[] } {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const what: string[] = [];
  const label = (k: PublicKey) => `${k.type} ${k.body.slice(-12)}`;
  if ((opts.state ?? 'present') === 'absent') {
    const kept = lines.filter((l) => {
      const k = parseKey(l);
      const gone = k !== undefined && keys.some((w) => same(w, k));
      if (gone) what.push(`key removed: ${label(k)}`);
      return !gone;
    });
    return { text: kept.length ? `${kept.join('\n')}\n` : '', what };
  }
  if (opts.exclusive) {
    const wanted = keys.map((k) => k.line);
    for (const l of lines) {
      const k = parseKey(l);
      if (k === undefined ? l.trim() !== '' : !keys.some((w) => same(w, k))) what.push(k ? `key removed: ${label(k)}` : `line removed: ${l}`);
    }
    for (const k of keys) {
      const have = lines.find((l) => parseKey(l) && same(parseKey(l)!, k));
      if (have === undefined) what.push(`key added: ${label(k)}`);
      else if (have.trim() !== k.line) what.push(`key updated: ${label(k)}`);
    }
    const out = wanted.length ? `${wanted.join('\n')}\n` : '';
    return { text: what.length || out !== text ? out : text, what: what.length ? what : out !== text ? ['layout'] : [] };
  }
  for (const k of keys) {
    const i = lines.findIndex((l) => parseKey(l) && same(parseKey(l)!, k));
    if (i === -1) {
      lines.push(k.line);
      what.push(`key added: ${label(k)}`);
    } else if (lines[i]!.trim() !== k.line) {
      lines[i] = k.line;
      what.push(`key updated: ${label(k)}`);
    }
  }
  if (what.length === 0) return { text, what };
  return { text: `${lines.join('\n')}\n`, what };
}

export const authorizedKey = defineModule({
  name: 'authorizedKey',
  summary: "Add or remove OpenSSH public keys in a user's authorized_keys (optionally exclusively).",
  doc: [
    'Keys are identified by type and body: a key present with other options or another comment is',
    'rewritten as given. exclusive leaves exactly the given keys. The default file is',
    '~USER/.ssh/authorized_keys from the user entry (or the home an earlier user task predicts); the',
    '.ssh folder is created 0700 and the file written atomically 0600, both owned by the user and its',
    'primary group. The diff shows the file before and after.',
    '',
    "  authorizedKey({ user: 'deploy', key: 'ssh-ed25519 AAAAC3Nza... admin@laptop' })",
    "  authorizedKey({ user: 'deploy', key: [adminKey, ciKey], exclusive: true })",
    '',
    "Lockout guard: a plan that leaves the login user's file without the key the engine logged in with",
    '(the inventory privateKey, or any key of the ssh agent when that is how it logs in) fails, naming',
    'the key and the order in which to replace it. So does one that rewrites that key with options that',
    'could stop its next login or its commands: command=, from= (the engine cannot prove its address',
    'matches), environment=, cert-authority, principals=, verify-required, permitopen=, an expiry-time',
    'less than a day away, an option sshd does not know, and restrict or no-port-forwarding (this host',
    'may be a jump host) unless port-forwarding follows. no-pty, no-X11-forwarding, no-agent-forwarding,',
    'no-user-rc, permitlisten=, tunnel= and a later expiry-time pass: the engine needs none of them.',
  ].join('\n'),
  params,
  prepare(p) {
    const keys = toList(p.key);
    keys.forEach((line, i) => {
      if (parseKey(line) === undefined) throw new PrepareError(`key ${i + 1} is not an OpenSSH public key line (TYPE BASE64 [comment]): '${line.slice(0, 40)}'`, 'key');
    });
    if (p.exclusive && p.state === 'absent') throw new PrepareError('exclusive goes with state present', 'exclusive');
  },
  facts: (p) => [userFact(p.user), authorizedKeysFact(p.user, p.path)],
  plan(p, ctx): Plan {
    const user = ctx.facts.get(userFact(p.user));
    if (!user.exists) throw new PlanError(`user '${p.user}' does not exist on this host, and no earlier task creates it`);
    const read = ctx.facts.get(authorizedKeysFact(p.user, p.path));
    // A user an earlier task creates: the host knows nothing of it yet, the prediction holds its home.
    const known = read.home !== null;
    const home = user.home ?? read.home;
    if (!p.path && !home) throw new PlanError(`user '${p.user}' has no home directory: give path`);
    const path = p.path ?? posix.join(home!, '.ssh/authorized_keys');
    const dirPath = posix.dirname(path);
    const group = read.group ?? user.groups?.[0] ?? p.user;
    const dir: FileFact = known && read.home === home ? read.dir : { ...ABSENT_FILE };
    const file: FileFact = known && read.home === home ? read.file : { ...ABSENT_FILE };
    if (file.exists && file.type !== 'file') throw new PlanError(`${path} exists and is not a regular file`);
    if (file.exists && file.content === undefined) throw new PlanError(`cannot read ${path} as text`);
    const state = p.state ?? 'present';
    if (state === 'absent' && !file.exists) return { changes: [], steps: [] };

    const keys = toList(p.key).map((l) => parseKey(l)!);
    const before = file.exists ? file.content! : '';
    const edit = editKeys(before, keys, { state, exclusive: p.exclusive });
    const lost = loginKeyLockout(before, edit.text, p.user, ctx.login);
    if (lost?.removed) {
      throw new PlanError(
        `refusing to remove from ${path} the key the engine logs in to ${ctx.host} with (${lost.key.type} ...${lost.key.body.slice(-12)}): ` +
          `the next connection as ${p.user} would be refused. To replace it, add the new key first, point the inventory's privateKey at it, then remove the old one.`,
      );
    }
    if (lost) {
      throw new PlanError(
        `refusing to write ${path} with options on the key the engine logs in to ${ctx.host} with (${lost.key.type} ...${lost.key.body.slice(-12)}): ${lost.why.join('; ')}. ` +
          `The next connection as ${p.user} could be refused, or could not run the engine's commands. To restrict that key safely, first add a second key ` +
          `without these options and point the inventory's privateKey at it, or set the restrictions from another connection than the engine's.`,
      );
    }
    const manageDir = p.manageDir ?? p.path === undefined;
    const attrs = { owner: user.name, group, mode: '0700' };

    const changes: Plan['changes'] = [];
    const steps: Step[] = [];
    const after = new Predictions();
    let dirAfter = dir;
    if (manageDir && state === 'present') {
      if (!dir.exists) {
        changes.push({ what: `directory ${dirPath}`, before: '(absent)', after: `${attrs.owner}:${group} ${attrs.mode}` });
        steps.push({ kind: 'mkdir', path: dirPath, mode: attrs.mode, owner: attrs.owner, group });
        dirAfter = { ...ABSENT_FILE, exists: true, type: 'directory', mode: attrs.mode, owner: attrs.owner, group, size: null };
      } else if (dir.type !== 'directory') {
        throw new PlanError(`${dirPath} exists and is not a directory`);
      } else {
        const a = planAttributes(dirPath, dir, attrs);
        changes.push(...a.changes.map((c) => ({ ...c, what: `${dirPath} ${c.what}` })));
        steps.push(...a.steps);
        dirAfter = { ...dir, ...a.after };
      }
      if (dirAfter !== dir) after.set(fileFact(dirPath), dirAfter);
    }
    if (!dirAfter.exists && state === 'present' && !manageDir) throw new PlanError(`${dirPath} does not exist: create it first, or set manageDir`);

    // The user and group checks of the shared write planning: both are known to exist here.
    const facts: FactReader = {
      get: <T>(f: { key: string }): T =>
        (f.key === groupKey(group) ? { exists: true, name: group, gid: null, members: [] } : { ...user, exists: true }) as T,
      initial: () => undefined,
    };
    const write = planWrite(path, file, edit.what.length ? contentOf(edit.text) : file.exists ? 'keep' : contentOf(edit.text), { owner: user.name, group, mode: '0600' }, { facts, packages: ctx.packages }, {
      what: edit.what.join(', ') || 'content',
    });
    changes.push(...write.changes);
    steps.push(...write.steps);
    after.merge(write.after);
    if (changes.length === 0) return { changes: [], steps: [] };
    const fileAfter = after.get(fileFact(path)) ?? file;
    after.set(authorizedKeysFact(p.user, p.path), { home, group, dir: dirAfter, file: fileAfter });
    return { changes, steps, after: after.record(), msg: edit.what.join(', ') || undefined };
  },
});
