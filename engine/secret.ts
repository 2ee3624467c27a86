// A value that must never be shown: it prints as *** everywhere (toString, JSON, util.inspect)
// and registers itself so any text bound for output can be scrubbed of it (maskSecrets), in the
// encodings it is likely to travel in as well as raw. Only reveal() gives the real value, and only
// the wire (stdin of a remote command) should call it.
import { inspect } from 'node:util';

export const MASK = '***';

/**
 * An encoded form whose alignment-independent core is shorter than this is not masked: a few
 * base64 or hex characters turn up by chance in any checksum or key, and masking them would garble
 * innocent output while hiding next to nothing.
 */
const MIN_ENCODED = 8;

const known = new Set<string>();
/** Every masked form of every known value, longest first (so a form that contains another is masked whole). */
let forms: string[] = [];
let shortest = Infinity;

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    register(value);
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

/** The encodings are computed once, here, so that maskSecrets (run on every string of every event) only searches. */
function register(value: string): void {
  if (value.length === 0 || known.has(value)) return;
  known.add(value);
  const all = new Set(forms);
  for (const form of encodedForms(value)) all.add(form);
  forms = [...all].sort((a, b) => b.length - a.length);
  shortest = forms[forms.length - 1]!.length;
}

/**
 * The forms a value takes in text that passed through an encoder: raw; JSON-escaped (as JSON.stringify
 * and as ASCII-only encoders write it); URL-encoded (encodeURIComponent and form encoding); inside
 * single quotes of a shell line; hex, lower and upper case; base64 and base64url. Base64 inside a
 * longer base64 text depends on where the value starts in the stream (its offset modulo 3): each of the
 * three alignments is kept without the edge characters that also carry bits of the neighbouring bytes.
 */
export function encodedForms(value: string): string[] {
  const out = new Set<string>([value]);
  const json = JSON.stringify(value).slice(1, -1);
  out.add(json);
  out.add(json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  out.add(encodeURIComponent(value));
  out.add(new URLSearchParams([['', value]]).toString().slice(1));
  out.add(value.replace(/'/g, `'\\''`));
  const bytes = Buffer.from(value, 'utf8');
  const encoded = [bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64'), bytes.toString('base64url')];
  for (const core of base64Cores(bytes)) encoded.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  for (const form of encoded) if (form.length >= MIN_ENCODED) out.add(form);
  return [...out];
}

/** Base64 of `bytes` preceded by 0, 1 or 2 other bytes, keeping only the characters that depend on `bytes` alone. */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let before = 0; before < 3; before++) {
    const text = Buffer.concat([Buffer.alloc(before), bytes]).toString('base64');
    // The first group shares 2 (before=1) or 3 (before=2) characters with the preceding bytes; a last
    // group of 1 or 2 bytes shares its last real character with the following bytes (and is padded).
    const head = [0, 2, 3][before]!;
    const tail = [0, 3, 2][(before + bytes.length) % 3]!;
    if (text.length - tail > head) cores.push(text.slice(head, text.length - tail));
  }
  return cores;
}

/** Replaces every known secret value, and its encodings (see encodedForms), in `text` with ***. */
export function maskSecrets(text: string): string {
  if (text.length < shortest) return text;
  let out = text;
  for (const form of forms) {
    if (form.length <= out.length && out.includes(form)) out = out.split(form).join(MASK);
  }
  return out;
}

/**
 * A copy of `value` as JSON.stringify would see it, every string (keys too) masked and every Secret
 * as ***. Serialise this, never mask serialised text: escaping (a " or \ or newline in a secret)
 * happens in the serialiser, after which the raw value no longer appears to be matched.
 * Buffers become their (masked) UTF-8 text rather than JSON's array of byte numbers.
 */
export function maskDeep(value: unknown): unknown {
  return walk(value, new Set());
}

function walk(value: unknown, path: Set<object>): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (isSecret(value)) return MASK;
  if (value instanceof Uint8Array) return maskSecrets(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  if (path.has(value)) return '[Circular]';
  path.add(value);
  try {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return walk(toJSON.call(value), path);
    if (Array.isArray(value)) return value.map((v) => walk(v, path));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[maskSecrets(k)] = walk(v, path);
    return out;
  } finally {
    path.delete(value);
  }
}
