// A value that must never be shown: it prints as *** everywhere (toString, JSON, util.inspect)
// and registers itself so any text bound for output can be scrubbed of it (maskSecrets).
// Only reveal() gives the real value, and only the wire (stdin of a remote command) should call it.
import { inspect } from 'node:util';

export const MASK = '***';
const known = new Set<string>();

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    if (value.length > 0) known.add(value);
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return MASK;
  }
}

export function secret(value: string): Secret {
  return new Secret(value);
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** Replaces every known secret value in `text` with ***. Longest first, so a secret that contains another is masked whole. */
export function maskSecrets(text: string): string {
  if (known.size === 0) return text;
  let out = text;
  for (const value of [...known].sort((a, b) => b.length - a.length)) {
    if (out.includes(value)) out = out.split(value).join(MASK);
  }
  return out;
}
