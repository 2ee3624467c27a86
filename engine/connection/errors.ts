// Named errors for everything that can go wrong between the controller and a host, so the runner can
// tell "unreachable, carry on with the others" from "refused for safety" from "the command failed".
// Every message passes through maskSecrets: a sudo or ssh message must never carry a password out.
import { maskSecrets } from '../secret.ts';

export abstract class ConnectionError extends Error {
  /** Inventory name of the host the error is about. */
  readonly host: string;
  constructor(host: string, message: string, options?: { cause?: unknown }) {
    super(maskSecrets(message), options);
    this.name = new.target.name;
    this.host = host;
  }
}

/** TCP connect refused or timed out, no route, DNS failure, or the handshake never finished. */
export class UnreachableError extends ConnectionError {}

/** The host rejected every key offered (file or agent), or no key was available. */
export class AuthError extends ConnectionError {}

/** known_hosts has no valid entry for the host and new keys are not being accepted (or could not be recorded). */
export class HostKeyUnknownError extends ConnectionError {}

/** known_hosts holds keys for this host, none of them the one presented (of any type): possible man in the middle. Never accepted. */
export class HostKeyChangedError extends ConnectionError {}

/** The host presented a key marked @revoked in known_hosts. Never accepted. */
export class HostKeyRevokedError extends ConnectionError {}

/** sudo refused: no password given when one is needed, wrong password, or the user may not sudo. */
export class BecomeError extends ConnectionError {}

/** The command ran longer than its timeoutMs; its channel was killed. */
export class ExecTimeoutError extends ConnectionError {}

/** The connection dropped while the command ran, or the channel could not be opened. */
export class ChannelError extends ConnectionError {}
