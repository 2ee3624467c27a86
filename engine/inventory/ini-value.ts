// Ansible reads INI values as Python literals when it can: 22 is a number, True a boolean,
// "a b" a string without its quotes; anything else stays the text it is.

export function parseIniValue(text: string): unknown {
  const t = text.trim();
  const quoted = /^(['"])(.*)\1$/s.exec(t);
  if (quoted) return quoted[2]!.replace(/\\(['"\\])/g, '$1');
  if (/^[-+]?\d+$/.test(t)) return Number(t);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') return null;
  return t;
}
