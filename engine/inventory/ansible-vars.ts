// Ansible's connection variables (ansible_host, ansible_port, ansible_user, ...) become connection
// settings wherever they appear: host vars, group vars, inventory vars, in every format. They are taken
// out of the variables so a password never lingers in vars. Names without the ansible_ prefix are plain vars.
import { isSecret, secret } from '../secret.ts';
import type { ParseContext } from './context.ts';
import type { ConnectionSettings } from './raw.ts';
import { parseSshArgs } from './ssh-args.ts';

type Setter = (value: unknown, conn: ConnectionSettings, ctx: ParseContext) => string | undefined;

const text = (apply: (v: string, conn: ConnectionSettings, ctx: ParseContext) => void): Setter => (value, conn, ctx) => {
  if (typeof value !== 'string' && typeof value !== 'number') return 'must be a string';
  const v = String(value);
  if (v === '') return 'must not be empty';
  apply(v, conn, ctx);
  return undefined;
};

const setPort: Setter = (value, conn) => {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) return `must be a port number 1-65535, got ${JSON.stringify(value)}`;
  conn.port = n;
  return undefined;
};

const setTimeout: Setter = (value, conn) => {
  const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !(n > 0)) return `must be a number of seconds, got ${JSON.stringify(value)}`;
  conn.connectTimeoutMs = Math.round(n * 1000);
  return undefined;
};

const setPassword: Setter = (value, conn) => {
  if (isSecret(value)) conn.becomePassword = value;
  else if (typeof value === 'string' || typeof value === 'number') conn.becomePassword = secret(String(value));
  else return 'must be a string';
  return undefined;
};

const setMethod: Setter = (value, conn) => {
  if (value !== 'sudo') return `only sudo is supported, got ${JSON.stringify(value)}`;
  conn.becomeMethod = 'sudo';
  return undefined;
};

const setSshArgs: Setter = (value, conn, ctx) => {
  if (typeof value !== 'string') return 'must be a string';
  const parsed = parseSshArgs(value);
  if (!parsed.ok) return parsed.message;
  if (parsed.settings.jump !== undefined) conn.jump = parsed.settings.jump;
  if (parsed.settings.knownHosts !== undefined) conn.knownHosts = ctx.path(parsed.settings.knownHosts);
  return undefined;
};

const passwordAuth: Setter = () => 'SSH password authentication is not supported: use a key (ansible_ssh_private_key_file) or the SSH agent';

const SETTERS: Record<string, Setter> = {
  ansible_host: text((v, c) => (c.address = v)),
  ansible_ssh_host: text((v, c) => (c.address = v)),
  ansible_port: setPort,
  ansible_ssh_port: setPort,
  ansible_user: text((v, c) => (c.user = v)),
  ansible_ssh_user: text((v, c) => (c.user = v)),
  ansible_ssh_private_key_file: text((v, c, ctx) => (c.privateKey = ctx.path(v))),
  ansible_private_key_file: text((v, c, ctx) => (c.privateKey = ctx.path(v))),
  ansible_become_password: setPassword,
  ansible_become_pass: setPassword,
  ansible_become_method: setMethod,
  ansible_ssh_common_args: setSshArgs,
  ansible_ssh_extra_args: setSshArgs,
  ansible_timeout: setTimeout,
  ansible_ssh_timeout: setTimeout,
  ansible_password: passwordAuth,
  ansible_ssh_pass: passwordAuth,
  ansible_ssh_password: passwordAuth,
};

export const ANSIBLE_CONNECTION_VARS: readonly string[] = Object.keys(SETTERS);

/**
 * Splits `vars` into connection settings (from the ansible_* names above) and the remaining variables.
 * Problems are added under `path.<key>` (or at `path` itself when it is a line reference).
 */
export function takeAnsibleConnection(
  vars: Record<string, unknown>,
  path: (key: string) => string,
  ctx: ParseContext,
): { conn: ConnectionSettings; vars: Record<string, unknown> } {
  const conn: ConnectionSettings = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(vars)) {
    const setter = SETTERS[key];
    if (!setter) {
      rest[key] = value;
      continue;
    }
    const problem = setter(value, conn, ctx);
    if (problem) ctx.problems.add(path(key), `${key} ${problem}`);
  }
  return { conn, vars: rest };
}
