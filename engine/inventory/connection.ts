// Settles one host's connection from its merged settings and the built-ins.
import { userInfo } from 'node:os';
import type { Secret } from '../secret.ts';
import type { ConnectionSettings } from './raw.ts';
import type { HostConnection } from './types.ts';

export const DEFAULT_PORT = 22;

export function builtinUser(env: Record<string, string | undefined> = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? 'root';
  }
}

export function hostConnection(name: string, s: ConnectionSettings, password: Secret | undefined, user: string): HostConnection {
  const conn: HostConnection = {
    address: s.address ?? name,
    port: s.port ?? DEFAULT_PORT,
    user: s.user ?? user,
    become: password ? { method: 'sudo', password } : { method: 'sudo' },
  };
  if (s.privateKey !== undefined) conn.privateKey = s.privateKey;
  if (s.knownHosts !== undefined) conn.knownHosts = s.knownHosts;
  if (s.jump !== undefined) conn.jump = s.jump;
  if (s.connectTimeoutMs !== undefined) conn.connectTimeoutMs = s.connectTimeoutMs;
  return conn;
}

const HOP = /^(?:[^@\s,]+@)?(?:\[[0-9A-Fa-f:.]+\]|[^@\s,:[\]]+)(?::\d{1,5})?$/;

/** A jump that is not an inventory host must read [user@]host[:port] (several hops separated by commas). */
export function isJumpSpec(jump: string): boolean {
  return jump.split(',').every((hop) => HOP.test(hop));
}
