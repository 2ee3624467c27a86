// Becoming root with sudo, password on stdin only. The command runs as
//   sudo -S -p PROMPT -H -- /bin/sh -c 'printf "MARKER $$" >&2 <newline> COMMAND'
// and the watcher reads stderr: PROMPT means "send the password" (a second PROMPT means it was
// wrong), MARKER means sudo has let go and what follows is the command's own output. Only after MARKER
// may the caller's stdin flow, or sudo would read it as a password. This costs no extra round trip and
// works alike when sudo asks, has cached credentials, or is NOPASSWD.
import { randomBytes } from 'node:crypto';
import { shellJoin } from '../quote.ts';
import type { Secret } from '../secret.ts';
import { BecomeError } from './errors.ts';

export interface BecomeWrap {
  /** Shell text that runs `command` (as root when made by wrapBecome). Carries no secret. */
  command: string;
  prompt: string;
  marker: string;
}

export function wrapBecome(command: string): BecomeWrap {
  const { prompt, marker, script } = announced(command);
  return { command: shellJoin(['sudo', '-S', '-p', prompt, '-H', '--', '/bin/sh', '-c', script]), prompt, marker };
}

/**
 * The same marker without sudo, for commands with a timeout: the marker carries the remote shell's
 * pid, which a timeout needs to kill the command when the server ignores signal requests (OpenSSH
 * does for root logins).
 */
export function wrapAnnounced(command: string): BecomeWrap {
  const { prompt, marker, script } = announced(command);
  return { command: script, prompt, marker };
}

function announced(command: string): { prompt: string; marker: string; script: string } {
  const nonce = randomBytes(9).toString('hex');
  // No % in the prompt: sudo expands %-escapes in -p.
  const prompt = `[shipshape-sudo-${nonce}] `;
  const marker = `shipshape-ready-${nonce}`;
  return { prompt, marker, script: `printf '%s %s\\n' ${marker} "$$" >&2\n${command}` };
}

export type BecomeStep =
  /** Still talking to sudo; nothing is for the caller yet. */
  | { state: 'waiting' }
  /** sudo is done; `stderr` is the command's stderr that came in the same chunk after the marker; `pid` the remote shell's. */
  | { state: 'ready'; stderr: Buffer; pid: number }
  | { state: 'failed'; error: BecomeError };

/** Follows sudo's conversation on stderr until the command starts. One per exec. */
export class BecomeWatcher {
  readonly #wrap: BecomeWrap;
  readonly #password: Secret | undefined;
  readonly #host: string;
  readonly #sendPassword: (line: string) => void;
  #seen = Buffer.alloc(0);
  #answered = 0;

  constructor(wrap: BecomeWrap, password: Secret | undefined, host: string, sendPassword: (line: string) => void) {
    this.#wrap = wrap;
    this.#password = password;
    this.#host = host;
    this.#sendPassword = sendPassword;
  }

  /** Feeds stderr received before the marker. */
  feed(chunk: Buffer): BecomeStep {
    this.#seen = Buffer.concat([this.#seen, chunk]);
    const text = this.#seen.toString('latin1');
    const found = new RegExp(`${this.#wrap.marker} (\\d+)\n`).exec(text);
    const before = found ? text.slice(0, found.index) : text;
    const prompts = before.split(this.#wrap.prompt).length - 1;
    if (prompts > this.#answered) {
      if (!this.#password) {
        return this.#fail(`sudo on ${this.#host} asks for a password and none was given (set the host's become password or use --ask-become-pass)`);
      }
      if (this.#answered > 0) return this.#fail(`incorrect sudo password for ${this.#host}`);
      this.#answered += 1;
      this.#sendPassword(this.#password.reveal() + '\n');
    }
    if (!found) return { state: 'waiting' };
    // Byte offsets equal latin1 character offsets, so the rest is sliced from the original bytes.
    return { state: 'ready', stderr: this.#seen.subarray(found.index + found[0].length), pid: Number(found[1]) };
  }

  /** The channel ended before the marker: sudo refused or is missing. */
  closedEarly(code: number | null): BecomeError {
    const said = this.#seen.toString('utf8').split(this.#wrap.prompt).join('').trim();
    if (/a password is required/i.test(said) && !this.#password) {
      return new BecomeError(this.#host, `sudo on ${this.#host} requires a password and none was given: ${said}`);
    }
    if (/incorrect password/i.test(said)) return new BecomeError(this.#host, `incorrect sudo password for ${this.#host}: ${said}`);
    if (/not in the sudoers|not allowed to (execute|run)|may not run sudo/i.test(said)) {
      return new BecomeError(this.#host, `the connecting user may not sudo on ${this.#host}: ${said}`);
    }
    if (code === 127 || /sudo: (not found|command not found)/.test(said)) {
      return new BecomeError(this.#host, `sudo is not installed on ${this.#host}: ${said}`);
    }
    return new BecomeError(this.#host, `sudo failed on ${this.#host} (exit ${code ?? 'none'}): ${said || 'no message'}`);
  }

  #fail(message: string): BecomeStep {
    return { state: 'failed', error: new BecomeError(this.#host, message) };
  }
}
