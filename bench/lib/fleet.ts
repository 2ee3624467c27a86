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
      ...Object.entries(extra.vars ?? {}).map(([k, v]) => `${k}=${v}`),
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const ansibleCfg = join(dir, 'ansible.cfg');
  writeFileSync(ansibleCfg, ansibleConfig(hosts.length, ansibleInventory, controlDir));
  return { dir, engineInventory, ansibleInventory, ansibleCfg, controlDir };
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

export function ansibleEnv(files: FleetFiles): NodeJS.ProcessEnv {
  return { ...process.env, ANSIBLE_CONFIG: files.ansibleCfg, ANSIBLE_LOCAL_TEMP: join(files.dir, 'tmp'), ANSIBLE_HOME: join(files.dir, 'home') };
}

export function ensureWorkDir(): void {
  if (!existsSync(WORK_DIR)) mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });
}
