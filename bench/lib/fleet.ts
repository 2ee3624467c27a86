// The hosts a bench run works on, and what each tool needs to reach them: an engine inventory
// (YAML), an Ansible inventory and ansible.cfg, both written to a work folder. Both tools get the
// same user (deploy), key, known_hosts (strict checking) and sudo password.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labPaths, labState } from '../../test/lab/index.ts';

export interface BenchHost {
  name: string;
  address: string;
}

export const WORK_DIR = process.env.BENCH_DIR ?? '/var/tmp/shipshape-bench';

export function labHosts(names: string[]): BenchHost[] {
  const all = labState().hosts;
  return names.map((n) => {
    const h = all.find((x) => x.name === n);
    if (!h) throw new Error(`no lab host named ${n} (is the lab up with it?)`);
    return { name: h.name, address: h.address };
  });
}

export interface FleetFiles {
  dir: string;
  engineInventory: string;
  ansibleInventory: string;
  ansibleCfg: string;
  /** The same configuration with Mitogen's strategy (`mitogen_linear`). */
  ansibleMitogenCfg: string;
  /** pyinfra's inventory (a Python file: hosts with their connection data, sudo password included). */
  pyinfraInventory: string;
  /** ControlPath folder of Ansible's ssh masters (emptied by killing them after every run). */
  controlDir: string;
}

/** Writes the inventories for `hosts` (one folder per host count); Ansible groups and vars optional. */
export function writeFleetFiles(hosts: BenchHost[], tag: string, extra: { groups?: Record<string, string[]>; vars?: Record<string, string> } = {}): FleetFiles {
  const dir = join(WORK_DIR, tag);
  const controlDir = join(dir, 'cp');
  mkdirSync(controlDir, { recursive: true, mode: 0o700 });
  const engineInventory = join(dir, 'inventory.yml');
  writeFileSync(
    engineInventory,
    [
      'defaults:',
      '  user: deploy',
      `  privateKey: ${labPaths.privateKey}`,
      `  knownHosts: ${labPaths.knownHosts}`,
      `  becomePassword: { file: ${labPaths.becomePasswordFile} }`,
      'hosts:',
      ...hosts.map((h) => `  ${h.name}: { address: ${h.address} }`),
      'groups:',
      `  bench: { hosts: [${hosts.map((h) => h.name).join(', ')}] }`,
      '',
    ].join('\n'),
  );
  const ansibleInventory = join(dir, 'hosts.ini');
  const password = readFileSync(labPaths.becomePasswordFile, 'utf8').trim();
  writeFileSync(
    ansibleInventory,
    [
      '[bench]',
      ...hosts.map((h) => `${h.name} ansible_host=${h.address}`),
      '',
      ...Object.entries(extra.groups ?? {}).flatMap(([g, members]) => [`[${g}]`, ...members, '']),
      '[all:vars]',
      'ansible_user=deploy',
      `ansible_ssh_private_key_file=${labPaths.privateKey}`,
      `ansible_become_password=${password}`,
      // The interpreter's path for both (plain Ansible has interpreter_python too; Mitogen 0.3.3
      // reads only this, and without it tries /usr/bin/python, then discovery: 3 ssh connections per
      // host instead of 1). No ssh compression on the LAN for Mitogen either (its default is on).
      'ansible_python_interpreter=/usr/bin/python3',
      'mitogen_ssh_compression=False',
      ...Object.entries(extra.vars ?? {}).map(([k, v]) => `${k}=${v}`),
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const ansibleCfg = join(dir, 'ansible.cfg');
  writeFileSync(ansibleCfg, ansibleConfig(hosts.length, ansibleInventory, controlDir));
  const ansibleMitogenCfg = join(dir, 'ansible-mitogen.cfg');
  writeFileSync(ansibleMitogenCfg, mitogenConfig(ansibleConfig(hosts.length, ansibleInventory, controlDir), MITOGEN_STRATEGIES));
  const pyinfraInventory = join(dir, 'pyinfra_inventory.py');
  writeFileSync(pyinfraInventory, pyinfraInventoryText(hosts, password, extra), { mode: 0o600 });
  return { dir, engineInventory, ansibleInventory, ansibleCfg, ansibleMitogenCfg, pyinfraInventory, controlDir };
}

/**
 * Ansible at its fastest, with the same trust as the engine: no fact gathering (in the playbooks),
 * pipelining, one fork per host, ControlPersist multiplexing within a run, no interpreter discovery
 * (python3's path is given), no compression on the LAN, strict host keys from the lab's known_hosts.
 */
export function ansibleConfig(forks: number, inventory: string, controlDir: string): string {
  const ssh = [
    '-o ControlMaster=auto',
    '-o ControlPersist=60s',
    '-o StrictHostKeyChecking=yes',
    `-o UserKnownHostsFile=${labPaths.knownHosts}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o IdentitiesOnly=yes',
    '-o BatchMode=yes',
  ].join(' ');
  return [
    '[defaults]',
    `inventory = ${inventory}`,
    `forks = ${forks}`,
    'host_key_checking = True',
    'gathering = explicit',
    'interpreter_python = /usr/bin/python3',
    'retry_files_enabled = False',
    // SSH connect timeout (default 10 s): 200 forks on 2 CPUs may take longer to connect, and a
    // connection that times out makes a host unreachable, not slower.
    'timeout = 60',
    'deprecation_warnings = False',
    'nocows = 1',
    '',
    '[ssh_connection]',
    'pipelining = True',
    `ssh_args = ${ssh}`,
    `control_path_dir = ${controlDir}`,
    'control_path = %(directory)s/%%h-%%r',
    '',
  ].join('\n');
}

/** Where Debian's ansible-mitogen keeps its strategy plugins (the package's own path). */
export const MITOGEN_STRATEGIES = '/usr/lib/python3/dist-packages/ansible_mitogen/plugins/strategy';

/**
 * Ansible with Mitogen: the same settings (Mitogen reads ssh_args, host key checking and become from
 * them) with its strategy, which replaces Ansible's connection and module execution with one Python
 * interpreter per host, started over one ssh connection and driven by RPC. Without ControlPersist:
 * Mitogen keeps its one connection per host open itself, and a master would only add a process
 * per host. Pipelining stays in the file; Mitogen does not use it.
 */
export function mitogenConfig(base: string, strategyPlugins: string): string {
  return base
    .replace('[defaults]\n', `[defaults]\nstrategy_plugins = ${strategyPlugins}\nstrategy = mitogen_linear\n`)
    .replace('-o ControlMaster=auto -o ControlPersist=60s ', '');
}

/**
 * pyinfra's inventory: every host with the same access as the other tools: user deploy, the lab's
 * key, strict host-key checking against the lab's known_hosts, sudo with the lab's password.
 */
export function pyinfraInventoryText(hosts: BenchHost[], password: string, extra: { groups?: Record<string, string[]>; vars?: Record<string, string> } = {}): string {
  const data = {
    ...extra.vars,
    ssh_user: 'deploy',
    ssh_key: labPaths.privateKey,
    ssh_known_hosts_file: labPaths.knownHosts,
    ssh_strict_host_key_checking: 'yes',
    _sudo: true,
    _sudo_password: password,
  };
  const py = (v: unknown) => (v === true ? 'True' : JSON.stringify(v));
  const dict = `{${Object.entries(data).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`;
  return [
    '# Written by bench/lib/fleet.ts for one bench run (0600: it holds the sudo password).',
    `_data = ${dict}`,
    // Named as in the other tools' inventories; reached (and its host key looked up) by address.
    `bench = [${hosts.map((h) => `(${JSON.stringify(h.name)}, dict(_data, ssh_hostname=${JSON.stringify(h.address)}))`).join(', ')}]`,
    // W2's groups (build_hosts, relays), by name: pyinfra gives a host the data of all its groups.
    ...Object.entries(extra.groups ?? {}).map(([g, names]) => `${g} = ${JSON.stringify(names)}`),
    '',
  ].join('\n');
}

export function ansibleEnv(files: FleetFiles, opts: { mitogen?: boolean } = {}): NodeJS.ProcessEnv {
  return { ...process.env, ANSIBLE_CONFIG: opts.mitogen ? files.ansibleMitogenCfg : files.ansibleCfg, ANSIBLE_LOCAL_TEMP: join(files.dir, 'tmp'), ANSIBLE_HOME: join(files.dir, 'home') };
}

export function ensureWorkDir(): void {
  if (!existsSync(WORK_DIR)) mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });
}
