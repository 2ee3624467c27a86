// Digests of the facts a plan was made from, so `engine apply` can tell that a host is still as it
// was read. Keyed (HMAC-SHA256) with a key kept on this controller (~/.cache/shipshape/plan-key,
// 0600): a fact's value may hold secrets (a config file's content), and a bare sha256 of it in a
// plan file could be guessed at offline. A plan is therefore applied on the controller that made it.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const KEY_FILE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'shipshape', 'plan-key');
let key: Buffer | undefined;

function planKey(): Buffer {
  if (key) return key;
  try {
    key = Buffer.from(readFileSync(KEY_FILE, 'utf8').trim(), 'hex');
    if (key.length === 32) return key;
  } catch {
    // made below
  }
  key = randomBytes(32);
  mkdirSync(dirname(KEY_FILE), { recursive: true, mode: 0o700 });
  writeFileSync(KEY_FILE, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(KEY_FILE, 0o600);
  return key;
}

/** JSON with sorted keys: the same value digests the same whatever the order it was built in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

export function factDigest(value: unknown): string {
  return createHmac('sha256', planKey()).update(canonical(value) ?? 'undefined').digest('hex');
}
