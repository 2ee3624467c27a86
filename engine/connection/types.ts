// The shapes the rest of the engine sees: what to connect to, how, and what a command returns.
// The ssh2 objects stay behind these types so no caller depends on the library directly.
import type { Secret } from '../secret.ts';

export interface ConnectTarget {
  /** Inventory host name, used in messages. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Private key file path; when absent the agent at SSH_AUTH_SOCK is used. */
  privateKey?: string;
  /** ProxyJump: the connection to this target is tunnelled through the jump host. */
  jump?: ConnectTarget;
  /** Time allowed for TCP connect + handshake + auth. Default 10000. */
  connectTimeoutMs?: number;
}

export interface ConnectOptions {
  knownHostsFile: string;
  /**
   * Record the key of a host with no valid entry in knownHostsFile instead of refusing it. A host with
   * any recorded key is never new: a key equal to none of them (whatever its type) is refused regardless.
   */
  acceptNewHostKeys: boolean;
  /** Interval of SSH keepalive messages. Default 15000. */
  keepaliveMs?: number;
}

export interface ExecOptions {
  /** Streamed to the command, then EOF. Without it the command gets EOF at once. */
  stdin?: Buffer | string | NodeJS.ReadableStream;
  /** Run as root via sudo; the password travels on stdin only. */
  become?: { password?: Secret };
  timeoutMs?: number;
  /** Sees stdout as it arrives (a long-lived command that reports before it ends: the host lock). */
  onStdout?: (chunk: Buffer) => void;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ConnectionStats {
  /** Channels opened, i.e. round trips. */
  execs: number;
  /** Command text and stdin payload sent (a become password is not counted). */
  bytesSent: number;
  /** stdout + stderr received. */
  bytesReceived: number;
}

/** A public key as authorized_keys identifies it: its type and base64 body. */
export interface PublicKeyId {
  type: string;
  body: string;
}

export interface Connection {
  readonly name: string;
  /**
   * The public keys this connection may have logged in with: the key file's, or every key the ssh
   * agent offered (ssh2 does not say which one the server took). Empty when they could not be read.
   */
  readonly loginKeys: readonly PublicKeyId[];
  /** Runs POSIX shell text (already quoted) through /bin/sh -c on the host. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Kills the remote process groups of every command still running (an interrupted run). Best effort. */
  killRunning(): void;
  close(): Promise<void>;
  readonly stats: Readonly<ConnectionStats>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_MS = 15_000;
