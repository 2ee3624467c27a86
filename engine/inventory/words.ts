// Splits a line into shell-like words: whitespace separates, '...' and "..." quote, \ escapes,
// and (when asked) an unquoted # starts a comment. Used for INI host lines and ssh argument strings.

export type WordsResult = { ok: true; words: string[] } | { ok: false; message: string };

export function splitWords(text: string, opts: { comments?: boolean } = {}): WordsResult {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && opts.comments && !inWord) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return { ok: false, message: `unclosed ${quote} quote` };
  if (inWord) words.push(word);
  return { ok: true, words };
}
