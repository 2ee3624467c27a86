// Minimal valid params for every module, the starting points the injection test puts hostile values
// into: each string param of a module's schema must appear in at least one variant (the test fails,
// naming the param, when a new one does not). `facts` adjusts a world where a plan needs something
// there to get past its checks (a unit file for a unit systemd does not know yet, a group to join).
import { posix } from 'node:path';
import { EMPTY_BASE_FACTS, type BaseFacts } from '../../../engine/facts/base.ts';
import { fileKey } from '../../../engine/facts/file.ts';
import type { Fact } from '../../../engine/facts/types.ts';
import { parseUnit } from '../../../engine/facts/unit.ts';
import { aDir, aFile } from '../modules/fake-facts.ts';
import type { World } from './worlds.ts';

export interface Variant {
  params: Record<string, unknown>;
  /** Worlds to plan it in (default both). */
  worlds?: World[];
  /** A fact value that differs from the world's generic one; undefined keeps the generic one. */
  facts?: (fact: Fact, world: World, params: Record<string, unknown>) => unknown;
  base?: BaseFacts;
  /** What earlier apt tasks install (PlanContext.packages). */
  installs?: string[];
}

/** The shell text of the shell module's base: runs the zqprobe stub with one argument. */
export const SHELL_PROBE = { cmd: "zqprobe 'a b'", program: 'zqprobe', args: ['a b'] };

/** Controller-side files a param names (read by prepare): created under the playbook folder before planning. */
export const LOCAL_FILES: Record<string, string> = { 'copy.src': 'zq local\n', 'template.src': 'hello zq\n' };

const one = <T>(rec: Record<string, T>): T => Object.values(rec)[0]!;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIZQzqzqzqzqzqzqzqzqzqzqzqzqzqzqzqzqzqzqzqzq zq@laptop';
const ATTRS = { owner: 'zqowner', group: 'zqgroup', mode: '0640' };

/** A fact override: `when(fact)` gives the value in the worlds listed. */
function factIs(test: (key: string, p: Record<string, unknown>) => boolean, value: (key: string, world: World) => unknown, worlds: World[] = ['absent', 'present']) {
  return (fact: Fact, world: World, p: Record<string, unknown>) => (worlds.includes(world) && test(fact.key, p) ? value(fact.key, world) : undefined);
}
const path = (key: string) => key.slice('file:'.length);
/** The module's own account (params.name) does not exist in the 'absent' world. */
const noAccount = (kind: 'user' | 'group') =>
  factIs((k, p) => k === `${kind}:${String(p.name)}`, (k) => ({ exists: false, name: k.slice(kind.length + 1), uid: null, gid: null, home: null, shell: null, members: [] }), ['absent']);

/** Variants per module name (module.def.name); `h` is the folder every host path lives in. */
export function bases(h: string): Record<string, Variant[]> {
  return {
    command: [
      { params: { argv: ['zqprobe', 'arg one'], chdir: `${h}/wd`, creates: `${h}/made`, produces: [`${h}/out.bin`], stdin: 'input', env: { SHIPSHAPE_ZQ: 'v' } } },
      { params: { cmd: 'zqprobe arg', chdir: `${h}/wd`, removes: `${h}/gone`, env: { SHIPSHAPE_ZQ: 'v' } } },
    ],
    shell: [
      { params: { cmd: SHELL_PROBE.cmd, chdir: `${h}/wd`, creates: `${h}/made`, produces: [`${h}/out.bin`], stdin: 'input', env: { SHIPSHAPE_ZQ: 'v' } } },
      { params: { cmd: SHELL_PROBE.cmd, removes: `${h}/gone` } },
    ],
    file: [
      { params: { path: `${h}/dir`, state: 'directory', ...ATTRS }, facts: factIs((k, p) => k === fileKey(String(p.path)), (k, w) => (w === 'present' ? one(aDir(path(k))) : undefined)) },
      { params: { path: `${h}/link`, state: 'link', src: 'target', force: true, owner: ATTRS.owner, group: ATTRS.group } },
      { params: { path: `${h}/tchd`, state: 'touch', ...ATTRS } },
      { params: { path: `${h}/gone`, state: 'absent' } },
      { params: { path: `${h}/f`, ...ATTRS }, worlds: ['present'] },
    ],
    copy: [
      { params: { dest: `${h}/copy.conf`, content: 'x\n', ...ATTRS, validate: 'zqcheck %s', check: 'zqwhole', backup: true } },
      { params: { dest: `${h}/copy2.conf`, src: 'files/a.txt', force: false } },
    ],
    template: [{ params: { src: 'templates/t.hbs', dest: `${h}/t.conf`, vars: { zqv: 'v' }, ...ATTRS, validate: 'zqcheck %s', check: 'zqwhole', backup: true } }],
    lineinfile: [
      { params: { path: `${h}/l.conf`, line: 'zqline', regexp: '^zq', create: true, ...ATTRS, validate: 'zqcheck %s', check: 'zqwhole', backup: true } },
      { params: { path: `${h}/l.conf`, line: 'zqline', insertafter: '^x', create: true } },
      { params: { path: `${h}/l.conf`, line: 'zqline', insertbefore: '^x', create: true } },
      { params: { path: `${h}/l.conf`, regexp: '^x', state: 'absent' } },
    ],
    blockinfile: [
      { params: { path: `${h}/b.conf`, block: 'zqblock', marker: '# {mark} ZQ', markerBegin: 'ZQB', markerEnd: 'ZQE', insertafter: '^x', create: true, ...ATTRS, validate: 'zqcheck %s', check: 'zqwhole', backup: true } },
      { params: { path: `${h}/b.conf`, block: 'zqblock', insertbefore: '^x', create: true } },
    ],
    user: [
      {
        params: { name: 'zquser', shell: '/bin/zqsh', home: '/home/zqh2', comment: 'zq comment', group: 'zqgroup', groups: ['zqg2'], password: '$y$zqnew', passwordLock: true, system: true },
        facts: noAccount('user'),
      },
      { params: { name: 'zquser', state: 'absent', remove: true }, facts: noAccount('user') },
    ],
    group: [
      { params: { name: 'zqgroup', gid: 1234 }, facts: noAccount('group') },
      { params: { name: 'zqgroup', state: 'absent' }, facts: noAccount('group') },
    ],
    git: [{ params: { repo: 'https://git.example.org/zq.git', dest: `${h}/src`, version: 'main', depth: 1, force: true } }],
    certbot: [
      { params: { domains: ['zq.example.org'], certName: 'zq', email: 'ops@example.org', server: 'https://acme.example.org/dir', deployHook: 'zqhook' } },
      { params: { domains: 'zq.example.org', authenticator: 'webroot', webroot: `${h}/www`, renewHook: 'zqhook' } },
    ],
    getUrl: [
      {
        params: { url: 'https://dl.example.org/zq.bin', dest: `${h}/zq.bin`, via: 'host', sha256: 'a'.repeat(64), ...ATTRS },
        facts: factIs((k) => k.startsWith('program:'), (k) => ({ exists: true, path: `/usr/bin/${k.slice('program:'.length)}` })),
      },
      { params: { url: 'https://dl.example.org/zq.bin', dest: `${h}/zq2.bin` } },
    ],
    apt: [{ params: { name: ['zqpkg'], updateCache: true, state: 'latest' } }, { params: { name: 'zqpkg', state: 'absent', purge: true } }],
    systemd: [
      {
        params: { unit: 'zqunit', state: 'started', enabled: true, daemonReload: true },
        // A unit systemd does not know yet whose file is there: planned as a new unit.
        facts: factIs((k) => k.startsWith('file:/etc/systemd/system/'), (k) => one(aFile(path(k), '[Install]\nWantedBy=multi-user.target\n')), ['absent']),
      },
      {
        params: { unit: 'zqunit', state: 'stopped', masked: true },
        facts: factIs((k) => k.startsWith('unit:'), (k) => parseUnit(k.slice('unit:'.length), 'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n', 0), ['present']),
      },
      { params: { unit: 'zqunit@x', state: 'restarted' }, installs: ['zqpkg'] },
    ],
    ufw: [
      { params: { rule: 'allow', port: '80', proto: 'tcp', from: '10.0.0.0/8', fromPort: '1024', to: 'any', interface: 'eth0', comment: 'zqc', direction: 'in' } },
      { params: { rule: 'limit', app: 'OpenSSH', comment: 'zqc' } },
      {
        params: {
          rules: [{ rule: 'allow', port: '22', proto: 'tcp', from: 'any', fromPort: '1024', to: 'any', interface: 'eth0', comment: 'zqc' }, { rule: 'allow', app: 'OpenSSH', comment: 'zqc' }],
          default: { incoming: 'deny' },
          state: 'enabled',
        },
      },
    ],
    cron: [
      { params: { name: 'zqjob', job: 'zqcmd --x', user: 'zquser', minute: '0', hour: '3', day: '*', month: '*', weekday: '*', environment: { MAILTO: 'zq' } } },
      { params: { name: 'zqjob', job: 'zqcmd', cronFile: 'zqfile', user: 'zquser', specialTime: 'daily', environment: { MAILTO: 'zq' } } },
    ],
    authorizedKey: [
      { params: { user: 'zquser', key: KEY } },
      { params: { user: 'zquser', key: [KEY], path: `${h}/keys`, manageDir: true } },
    ],
    transfer: [
      {
        params: { from: 'build', src: `${h}/build/zq`, dest: `${h}/zq`, ...ATTRS },
        // The source exists on the build host and dest's folder exists, in both worlds.
        facts: (fact, _world, p) =>
          fact.key === fileKey(String(p.src)) ? one(aFile(path(fact.key), 'zq build\n')) : fact.key === fileKey(posix.dirname(String(p.dest))) ? one(aDir(path(fact.key))) : undefined,
      },
    ],
    fetch: [{ params: { src: `${h}/zq.fp`, dest: 'out/zq.fp', mode: '0600' }, worlds: ['present'] }],
    waitFor: [
      { params: { port: 5223, address: 'zqhost', timeout: 5 } },
      { params: { path: `${h}/zq.log`, search: 'zq', timeout: 5 } },
      { params: { path: `${h}/zq.log`, state: 'absent' } },
    ],
    reboot: [{ params: { ifPathExists: `${h}/reboot-required`, msg: 'zq' } }],
    assert: [
      {
        params: { osId: 'zqos', osVersion: ['12'], osCodename: 'bookworm', arch: 'x86_64', msg: 'zq', that: { 'zq holds': true } },
        base: { ...EMPTY_BASE_FACTS, os: { id: 'zqos', versionId: '12', codename: 'bookworm', prettyName: 'zq' }, arch: 'x86_64' },
      },
    ],
    debug: [{ params: { msg: 'zq' } }],
    readFile: [{ params: { path: `${h}/zq.txt` } }],
    swapBinaries: [
      {
        params: { binaries: [`${h}/bin/zq`], services: ['zqunit'], probes: [{ port: 5223, binary: `${h}/bin/zq` }], timeout: 5 },
        facts: factIs((k) => k.startsWith('file:') && k.endsWith('.new'), (k) => one(aFile(path(k), 'new\n'))),
      },
    ],
  };
}
