// Hostile values for the injection test, and the seeded sampling that picks some of them per param.
// Every alphanumeric run of three or more characters in a value is a token: an argument that holds a
// token but not the whole value is the value split, globbed or expanded (see wholeValueProblems).
// The tokens are made unusual (qz..., CANARY; the bases use zq...) so that no fixed argument holds them.

/** The file an executed payload leaves behind (or the argument `touch` receives). */
export const CANARY = 'CANARY';
/** HOME in the stub environment: an argument holding it is a tilde or $HOME expansion. */
export const FAKE_HOME = '/qzhome';

export const HOSTILE: readonly string[] = [
  "qza'qzb", // single quote
  'qza "qzb qzc"', // double quotes and blanks
  "qza'\\''qzb", // the quoting function's own escape sequence
  '$(touch CANARY)', // command substitution
  '`touch CANARY`', // backticks
  'qza;touch CANARY', // ;
  'qza && touch CANARY', // &&
  'qza|touch CANARY', // |
  'qza\ntouch CANARY', // newline
  'qza\rtouch CANARY', // carriage return
  'qza$(touch${IFS}CANARY)', // no blanks: gets through \S+ patterns
  'qza;touch${IFS}CANARY',
  'qza$(:>CANARY)', // builtins only: leaves the canary file itself
  'qza>CANARY', // redirection
  'qzg*', // globs: bait files in the working folder match them
  'qza?qzb',
  'qz[a]qzb',
  '~', // tilde and parameter expansion (HOME is FAKE_HOME)
  'qza$HOME',
  'qza${HOME}qzb',
  '-rf', // leading dashes: options if they land before the operands
  '--help',
  '-Hhost',
  '-sfiles',
  '--upload-pack=touch CANARY',
  '  qza  qzb  ', // leading, trailing and doubled blanks
  'qza\tqzb', // tab
  'qza\\qzb\\n', // backslashes
  'qzaüñï©ødé✓日本qzb', // non-ASCII
  '%s%nqza%x', // format directives
  '#qza', // comment, history, assignment-looking
  '!qza',
  'qza=qzb',
  'if', // a reserved word: a command name only when the renderer leaves it bare
  ' ', // empty-ish
  '-',
  '--',
  '.',
];

/** Values that start with a dash: refused by the schema of a param naming a unit, user or group. */
export const LEADING_DASH = HOSTILE.filter((v) => v.startsWith('-'));

/** Words of the payloads common enough to be in a module's own arguments ('touch' in a path). */
const COMMON = new Set(['touch']);

/** The tokens of a hostile value (see the file comment). */
export function tokens(value: string): string[] {
  return (value.match(/[A-Za-z0-9]{3,}/g) ?? []).filter((t) => !COMMON.has(t));
}

/** The same value with its glob characters replaced by what a bait file name holds there. */
export function baitName(value: string): string | undefined {
  if (!/[*?[]/.test(value)) return undefined;
  return value.replace(/\*/g, 'BAIT').replace(/\?/g, 'X').replace(/\[(.)\]/g, '$1');
}

/** mulberry32: a small seeded generator, so a failing sample can be replayed with its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to n items, picked by the generator (all of them when n >= length), in their original order. */
export function sample<T>(items: readonly T[], n: number, random: () => number): T[] {
  if (n >= items.length) return [...items];
  const idx = items.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, n).sort((a, b) => a - b).map((i) => items[i]!);
}
