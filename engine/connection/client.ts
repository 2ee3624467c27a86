// Opens the one ssh2 Client a host gets for the whole run: key file or agent, known_hosts check,
// keepalive, connect timeout, and ProxyJump through another client's forwardOut. Every failure becomes
// one of the named errors, naming the host and where we tried to reach it.
import { readFile } from 'node:fs/promises';
// ssh2 is CommonJS and stays outside the bundle: Node finds `Client` as a named export, not `utils`.
import ssh2, { Client } from 'ssh2';
import type { ConnectConfig, ParsedKey } from 'ssh2';
import type { Duplex } from 'node:stream';
import { AuthError, UnreachableError } from './errors.ts';
import type { ConnectionError } from './errors.ts';
import { hostKeyCheck, preferredHostKeyAlgorithms } from './host-key.ts';
import { knownHostsStore } from './known-hosts-store.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEEPALIVE_MS } from './types.ts';
import type { ConnectOptions, ConnectTarget, PublicKeyId } from './types.ts';

export interface OpenClient {
  client: Client;
  loginKeys: PublicKeyId[];
  /** Ends this client and, for a jumped connection, the jump host's client. */
  end(): Promise<void>;
}

export async function openClient(target: ConnectTarget, opts: ConnectOptions): Promise<OpenClient> {
  const where = `${target.address}:${target.port}`;
  const store = await knownHostsStore(opts.knownHostsFile);
  const auth = await credentials(target);

  let jump: OpenClient | undefined;
  let sock: Duplex | undefined;
  if (target.jump) {
    jump = await openClient(target.jump, opts);
    try {
      sock = await forward(jump.client, target);
    } catch (err) {
      await jump.end();
      throw err;
    }
  }

  const check = hostKeyCheck(target, store, opts.acceptNewHostKeys);
  const serverHostKey = preferredHostKeyAlgorithms(store.knownTypes(target.address, target.port));
  const config: ConnectConfig = {
    host: target.address,
    port: target.port,
    username: target.user,
    ...auth,
    ...(sock ? { sock } : {}),
    readyTimeout: target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveInterval: opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: 3,
    hostVerifier: check.verifier,
    ...(serverHostKey ? { algorithms: { serverHostKey: serverHostKey as never } } : {}),
  };

  const client = new Client();
  // ssh2 can emit several errors for one failure (a timeout, then "connection lost"), and more after
  // ready (keepalive timeout, reset: running channels then close and their execs fail). The listener
  // stays for the client's life, since an 'error' event without one would crash the whole run.
  let settle: ((err?: Error & { level?: string }) => void) | undefined;
  client.on('error', (err: Error & { level?: string }) => settle?.(err));
  try {
    await new Promise<void>((resolve, reject) => {
      settle = (err) => {
        settle = undefined;
        if (err) reject(classify(err, target, where, auth, check.refusal()));
        else resolve();
      };
      client.once('ready', () => settle?.());
      client.once('close', () => settle?.(new Error('connection closed before it was ready')));
      try {
        client.connect(config);
        // ssh2 leaves Nagle's algorithm on. An exec ends with small packets written back to back
        // (EOF, close); the second waited for the server's delayed ACK, ~40 ms per exec and per
        // handshake step. Measured on the lab: exec 44 -> 3 ms, connect 80 -> 39 ms.
        client.setNoDelay(true);
      } catch (err) {
        settle(err as Error); // e.g. a key file ssh2 cannot parse, or an encrypted key
      }
    });
  } catch (err) {
    client.end();
    await jump?.end();
    throw err;
  }

  return {
    client,
    loginKeys: 'privateKey' in auth ? publicKeysOf(auth.privateKey) : await agentKeys(auth.agent),
    async end() {
      await endClient(client);
      await jump?.end();
    },
  };
}

type Credentials = { privateKey: Buffer } | { agent: string };

async function credentials(target: ConnectTarget): Promise<Credentials> {
  if (target.privateKey) {
    try {
      return { privateKey: await readFile(target.privateKey) };
    } catch (err) {
      throw new AuthError(target.name, `cannot read private key ${target.privateKey} for ${target.name}: ${(err as Error).message}`);
    }
  }
  const agent = process.env.SSH_AUTH_SOCK;
  if (!agent) throw new AuthError(target.name, `no private key set for ${target.name} and SSH_AUTH_SOCK is not set, so there is no key to offer`);
  return { agent };
}

/** The public half of a private key ssh2 accepted (so it parses), as authorized_keys writes it. */
function publicKeysOf(privateKey: Buffer): PublicKeyId[] {
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return !key || key instanceof Error ? [] : [publicKeyId(key)];
}

/** The keys the agent holds (ssh2 offers them all, in this order). A failure to list them is not fatal: the login worked. */
function agentKeys(socket: string): Promise<PublicKeyId[]> {
  return new Promise((resolve) => {
    new ssh2.OpenSSHAgent(socket).getIdentities((err, keys) => resolve(err || !keys ? [] : (keys as ParsedKey[]).map(publicKeyId)));
  });
}

function publicKeyId(key: ParsedKey): PublicKeyId {
  return { type: key.type, body: key.getPublicSSH().toString('base64') };
}

function classify(err: Error & { level?: string }, target: ConnectTarget, where: string, auth: Credentials, refusal: ConnectionError | undefined): ConnectionError {
  if (refusal) return refusal;
  const via = target.jump ? ` via ${target.jump.name}` : '';
  if (err.level === 'client-authentication') {
    const offered = 'privateKey' in auth ? `key ${target.privateKey}` : `the keys in the agent at ${auth.agent}`;
    return new AuthError(target.name, `${target.user}@${target.name} (${where}) rejected ${offered}`, { cause: err });
  }
  if (err.level === undefined && /private key|passphrase|Unsupported key/i.test(err.message)) {
    return new AuthError(target.name, `cannot use private key ${target.privateKey} for ${target.name}: ${err.message}`, { cause: err });
  }
  const reason = err.level === 'client-timeout' ? `no answer within ${target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS} ms` : err.message;
  return new UnreachableError(target.name, `${target.name} is unreachable at ${where}${via}: ${reason}`, { cause: err });
}

/**
 * A channel through the jump host to the target. Bounded by the connect timeout: the jump host's
 * own TCP connect to a dead address would otherwise take the kernel's ~2 minutes to give up.
 */
function forward(jump: Client, target: ConnectTarget): Promise<Duplex> {
  const where = `${target.address}:${target.port}`;
  const via = target.jump!.name;
  const limit = target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new UnreachableError(target.name, `${target.name} is unreachable at ${where} via ${via}: no answer within ${limit} ms`));
    }, limit);
    jump.forwardOut('127.0.0.1', 0, target.address, target.port, (err, stream) => {
      if (settled) {
        stream?.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (err) return reject(new UnreachableError(target.name, `${target.name} is unreachable at ${where} via ${via}: ${err.message}`, { cause: err }));
      resolve(stream);
    });
  });
}

function endClient(client: Client): Promise<void> {
  return new Promise((resolve) => {
    // 'close' may never come if the socket is already gone (a cut cable): do not wait forever, and
    // drop the socket, which would otherwise keep the process alive until TCP gives up.
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, 2000);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}
