// What the bench needs besides the lab: ansible-core and ansible-mitogen (Debian's packages) on the
// controller, and
// python3 on the hosts for Ansible's sake. A fresh host has no python3; installing it through apt
// takes ~18 s per host (apt-get update dominates), so the first install keeps the .debs and later
// ones unpack them with dpkg over ssh. That time is never counted: for Ansible, a cold host is a fresh
// host with python3 already on it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { becomePassword } from '../../test/lab/index.ts';
import { run, pool } from '../../test/lab/sh.ts';
import { sshArgs } from '../../test/lab/ssh.ts';
import { MITOGEN_STRATEGIES, type BenchHost } from './fleet.ts';

const DEB_CACHE = '/var/cache/shipshape-bench/python3-debs';
const DEBIAN_COLLECTIONS = '/usr/lib/python3/dist-packages/ansible_collections';

/**
 * ansible-core; with `mitogen`, Debian's ansible-mitogen (0.3.3, for its ansible-core 2.14) and its
 * strategy plugins where fleet.ts expects them; with `collections`, Debian's `ansible` package too
 * (community.general's ufw, for W2).
 */
export async function ensureAnsible(log: (m: string) => void, opts: { collections?: boolean; mitogen?: boolean } = {}): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (spawnSync('ansible-playbook', ['--version']).status !== 0) {
    log('installing ansible-core (apt-get)');
    await run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'ansible-core'], { env });
  }
  if (opts.mitogen && !existsSync(join(MITOGEN_STRATEGIES, 'mitogen_linear.py'))) {
    log('installing ansible-mitogen (apt-get)');
    await run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'ansible-mitogen'], { env });
    if (!existsSync(join(MITOGEN_STRATEGIES, 'mitogen_linear.py'))) throw new Error(`ansible-mitogen installed, but ${MITOGEN_STRATEGIES}/mitogen_linear.py is not there`);
  }
  const collections = opts.collections;
  // Where Debian's `ansible` package puts the collections (`ansible-doc NAME` exits 0 even for a
  // module it cannot find, so it cannot tell).
  if (collections && !existsSync(join(DEBIAN_COLLECTIONS, 'community', 'general', 'plugins', 'modules', 'ufw.py'))) {
    log('installing the ansible collections (apt-get install ansible)');
    await run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'ansible'], { env });
  }
}

function sudo(host: BenchHost, script: string, input?: string) {
  const pw = becomePassword();
  return run([...sshArgs(host.address, 'deploy'), `sudo -S -p '' sh -c ${shq(script)}`], {
    input: `${pw}\n${input ?? ''}`,
    timeoutMs: 300_000,
  });
}

const shq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** python3 on every host that lacks it (parallel, at most 10 at once). */
export async function ensurePython3(hosts: BenchHost[], log: (m: string) => void): Promise<void> {
  const missing: BenchHost[] = [];
  await pool(hosts, 16, async (h) => {
    const r = await run([...sshArgs(h.address, 'deploy'), 'test -x /usr/bin/python3'], { allowFail: true, timeoutMs: 30_000 });
    if (r.code !== 0) missing.push(h);
  });
  if (!missing.length) return;
  if (!haveDebs()) {
    const first = missing.shift()!;
    log(`python3: apt-get install on ${first.name} (kept as .debs for the other hosts)`);
    await sudo(first, 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q python3 >/dev/null');
    const tar = await run([...sshArgs(first.address, 'deploy'), 'cd /var/cache/apt/archives && tar cf - *.deb | base64 -w0']);
    mkdirSync(DEB_CACHE, { recursive: true });
    writeFileSync(join(DEB_CACHE, 'debs.tar'), Buffer.from(tar.stdout.trim(), 'base64'));
  }
  if (!missing.length) return;
  const tarB64 = readFileSync(join(DEB_CACHE, 'debs.tar')).toString('base64');
  await pool(missing, 10, async (h) => {
    // stdin: the password line, then the tar in base64 (sudo reads only its line). dpkg -i does not
    // order pre-dependencies: the -minimal packages go first.
    await sudo(h, 'd=$(mktemp -d) && base64 -d | tar xf - -C "$d" && export DEBIAN_FRONTEND=noninteractive && dpkg -i "$d"/libpython3*-minimal_*.deb "$d"/python3.*-minimal_*.deb >/dev/null && dpkg -i -E "$d"/python3-minimal_*.deb >/dev/null && dpkg -i -E "$d"/*.deb >/dev/null && rm -rf "$d" && test -x /usr/bin/python3', tarB64);
  });
  log(`python3: installed on ${missing.length} host(s) from the cached .debs`);
}

function haveDebs(): boolean {
  return existsSync(join(DEB_CACHE, 'debs.tar'));
}

