// Fact values for the injection test, for any fact a module declares: two worlds, 'absent' (a fresh
// host: no files, units, packages, certificates, checkouts) and 'present' (a lived-in host: they
// exist), so that a plan takes its create branches in one and its change branches in the other.
// Users and groups exist in both (the owner of a file must); the user and group modules' bases
// make their own account absent in the 'absent' world. A fact kind
// without a value here reads as its script's empty output (`fact.parse('', 0)`); the test fails,
// naming the fact, when that does not parse: add the kind to FACT_WORLDS.
import { parseUfw } from '../../../modules/ufw/facts.ts';
import { posix } from 'node:path';
import { ABSENT_FILE } from '../../../engine/facts/file.ts';
import { NO_CERTIFICATE, type CertificateFact } from '../../../modules/certbot/facts.ts';
import type { Fact } from '../../../engine/facts/types.ts';
import { parseUnit } from '../../../engine/facts/unit.ts';
import { aDir, aFile, aGroup, aUser } from '../modules/fake-facts.ts';

export type World = 'absent' | 'present';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const afterPrefix = (key: string, prefix: string) => key.slice(prefix.length);
const one = <T>(rec: Record<string, T>): T => Object.values(rec)[0]!;

/** By key prefix: the value in each world (undefined: the fact's empty output). */
const FACT_WORLDS: Array<[RegExp, (key: string, world: World, fact: Fact) => unknown]> = [
  // The test's own folder (h, where every base path lives) exists in both worlds: a plan refuses a file in a missing folder.
  [/^file:.*\/shipshape-injection-[^/]+\/h$/, (key) => one(aDir(afterPrefix(key, 'file:')))],
  [/^file:/, (key, w) => (w === 'absent' ? { ...ABSENT_FILE } : one(aFile(afterPrefix(key, 'file:'), 'x\n')))],
  [/^user:/, (key) => one(aUser(afterPrefix(key, 'user:')))],
  [/^group:/, (key) => one(aGroup(afterPrefix(key, 'group:')))],
  [/^unit:/, (key, w) => parseUnit(afterPrefix(key, 'unit:'), w === 'absent' ? 'LoadState=not-found\nActiveState=inactive\n' : 'LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\n', 0)],
  [/^crontab:/, (_k, w, f) => f.parse(w === 'absent' ? 'nouser\n' : 'crontab\n# old\n', 0)],
  [/^pkg:/, (key, w, f) => (w === 'absent' ? undefined : f.parse('dpkg=install ok installed\t1.0\ncandidate=1.1\nstamp=s1\n', 0))],
  [/^apt:lists$/, (_k, w) => (w === 'absent' ? undefined : { empty: false, age: 100_000, stamp: 's1' })],
  [/^apt:refreshed:/, (key, w) => (w === 'absent' ? undefined : refreshed(key))],
  [/^apt:simulate:/, (_k, w) => (w === 'absent' ? [] : [{ name: 'zqlib', action: 'upgrade', before: '1', after: '2' }])],
  [/^certbot:/, (key, w) => (w === 'absent' ? { ...NO_CERTIFICATE, domains: [] } : aCertificate(afterPrefix(key, 'certbot:')))],
  [/^git:/, (_k, w, f) => f.parse(w === 'absent' ? 'state=absent\nrunas=self\n' : `state=dir\nrepo=yes\nrunas=self\ngit=yes\nhead=${SHA_A}\nbranch=main\nurl=https://old.example.org/zq.git\ndirty=yes\n`, 0)],
  [/^git-remote:/, (key, w, f) => (w === 'absent' ? f.parse('nogit\n', 0) : remote(key))],
  [/^ufw$/, (_k, w) => {
    // A fresh ufw: installed (the modules need it), off, no rules, IPV6=yes as the package ships it.
    if (w === 'absent') return { ...parseUfw(''), ipv6: true };
    const ssh22 = { action: 'allow', direction: 'in', proto: 'tcp', port: '22', to: 'any', from: 'any', fromPort: 'any' };
    return { installed: true, enabled: true, incoming: 'deny', outgoing: 'allow', routed: 'deny', rules: [ssh22], other: [], ipv6: true, chains: { v4: [ssh22], v6: [ssh22] }, ssh: { client: '10.0.0.2', clientPort: 50000, server: '10.0.0.1', serverPort: 22 } };
  }],
  [/^authorized_keys:/, (key, w, f) => (w === 'absent' ? f.parse('nouser\n', 0) : authorizedKeys(key))],
  [/^program:/, (key, w) => (w === 'absent' ? undefined : { exists: true, path: `/usr/bin/${afterPrefix(key, 'program:')}` })],
  [/^shadow:/, (_k, w) => (w === 'absent' ? null : '$y$zqold')],
];

/** The value of a fact in a world. Throws, naming the fact, when the test has no value for its kind. */
export function worldValue(fact: Fact, world: World): unknown {
  const entry = FACT_WORLDS.find(([re]) => re.test(fact.key));
  const value = entry ? entry[1](fact.key, world, fact) : undefined;
  if (value !== undefined) return value;
  try {
    return fact.parse('', 0);
  } catch (err) {
    throw new Error(`injection test: no ${world} value for fact ${fact.key} (its empty output does not parse: ${(err as Error).message}); add its kind to FACT_WORLDS in test/unit/injection/worlds.ts`);
  }
}

function refreshed(key: string) {
  // apt:refreshed:CACHEVALIDTIME:ACTIONS:NAMES
  const [, , , actions = '', ...rest] = key.split(':');
  const names = rest.join(':').split(',').filter(Boolean);
  return {
    status: 'refreshed',
    stamp: 's2',
    fetched: 1,
    candidates: Object.fromEntries(names.map((n) => [n, '1.2'])),
    simulated: Object.fromEntries(actions.split(',').filter(Boolean).map((a) => [a, [{ name: 'zqlib', action: 'upgrade', before: '1', after: '2' }]])),
  };
}

function remote(key: string) {
  const hash = key.lastIndexOf('#');
  const version = key.slice(hash + 1);
  return { git: true, ok: true, headBranch: 'main', refs: { HEAD: SHA_B, 'refs/heads/main': SHA_B, [`refs/heads/${version}`]: SHA_B } };
}

function aCertificate(name: string): CertificateFact {
  return {
    exists: true,
    domains: ['zq.example.org'],
    notAfter: new Date(Date.now() + 80 * 86_400_000).toISOString(),
    issuer: 'CN=zq',
    keyType: 'ecdsa',
    server: 'https://acme.example.org/dir',
    renewHook: 'zqoldhook',
    conf: `# renewal of ${name}\n[renewalparams]\nrenew_hook = zqoldhook\n`,
  };
}

function authorizedKeys(key: string) {
  const [, user = 'zq', ...path] = key.split(':');
  const home = `/home/${user}`;
  const file = path.length > 0 ? path.join(':') : `${home}/.ssh/authorized_keys`;
  return {
    home,
    group: user,
    dir: one(aDir(posix.dirname(file), { mode: '0755', owner: user, group: user })),
    file: one(aFile(file, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLDKEYzq old@zq\n', { mode: '0600', owner: user, group: user })),
  };
}

