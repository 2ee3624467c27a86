// A secret for leak tests, and an independent detector: whether any 4 consecutive bytes of the
// canary can still be read out of a text, in any encoding maskSecrets is meant to cover.
import { secret } from '../../engine/secret.ts';

// A canary with what escaping and encoders treat specially: quotes, a backslash, a newline, a
// control character, non-ASCII (2- and 4-byte UTF-8), and characters URL encoding changes.
export const CANARY = `Zq7"pä'sX\\Kw\n\x01€😀 &=+/?#-Jv4711`;
export const canary = secret(CANARY);
export const CANARY_BYTES = Buffer.from(CANARY, 'utf8');

/**
 * True when `text` still gives away part of the canary: any 4 consecutive bytes of it, decoded from
 * any piece of the text between masks, in any of the encodings, at any alignment. Independent of
 * how maskSecrets finds the forms.
 */
export function leaks(text: string): boolean {
  return leaksOf(CANARY, text, 4);
}

/** The canary inside longer text, in every encoding it is masked in (base64 at each of the 3 alignments). */
export function canaryTexts(): Record<string, string> {
  const around = (k: number) => Buffer.concat([Buffer.from('xyz'.slice(0, k)), CANARY_BYTES, Buffer.from(' and then some more bytes')]);
  return {
    raw: `before ${CANARY} after`,
    json: `{"v":${JSON.stringify(`k=${CANARY};`)}}`,
    jsonAscii: `"k=${JSON.stringify(CANARY).slice(1, -1).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`,
    url: `https://h/?pw=${encodeURIComponent(CANARY)}&x=1`,
    form: `a=1&${new URLSearchParams({ pw: CANARY }).toString()}&b=2`,
    shell: `echo '${CANARY.replace(/'/g, `'\\''`)}'`,
    hex: `0011${CANARY_BYTES.toString('hex')}ff00`,
    HEX: `0011${CANARY_BYTES.toString('hex').toUpperCase()}FF00`,
    base64_0: around(0).toString('base64'),
    base64_1: around(1).toString('base64'),
    base64_2: around(2).toString('base64'),
    base64url_0: around(0).toString('base64url'),
    base64url_1: around(1).toString('base64url'),
    base64url_2: around(2).toString('base64url'),
    base64Alone: CANARY_BYTES.toString('base64'),
  };
}

/** leaks() for another canary: any `window` consecutive bytes of `canary` readable out of `text`. */
export function leaksOf(canary: string, text: string, window = 8): boolean {
  const bytes = Buffer.from(canary, 'utf8');
  const windows: Buffer[] = [];
  for (let i = 0; i + window <= bytes.length; i++) windows.push(bytes.subarray(i, i + window));
  const has = (buf: Buffer) => windows.some((w) => buf.includes(w));
  for (const piece of text.split('***')) {
    const decoded: Buffer[] = [Buffer.from(piece)];
    try {
      decoded.push(Buffer.from(JSON.parse(`"${piece}"`) as string));
    } catch {
      /* not a JSON string body */
    }
    try {
      decoded.push(Buffer.from(decodeURIComponent(piece.replace(/\+/g, ' '))));
    } catch {
      /* not URL-encoded */
    }
    decoded.push(Buffer.from(piece.replace(/'\\''/g, "'")));
    const b64 = piece.replace(/[^A-Za-z0-9+/_-]/g, '').replace(/-/g, '+').replace(/_/g, '/');
    for (let offset = 0; offset < 4; offset++) decoded.push(Buffer.from(b64.slice(offset), 'base64'));
    const hex = piece.replace(/[^0-9a-fA-F]/g, '');
    for (let offset = 0; offset < 2; offset++) decoded.push(Buffer.from(hex.slice(offset), 'hex'));
    if (decoded.some(has)) return true;
  }
  return false;
}
