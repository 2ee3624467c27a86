// A private key file as the connection will read it (client.ts), checked on the controller before
// any host is touched: a file that is missing or unreadable, a public key given for the private one,
// or a key ssh2 cannot use (one with a passphrase: the engine has none to give, the agent does).
import { readFile } from 'node:fs/promises';
// ssh2 is CommonJS and stays outside the bundle: Node finds `utils` on the default export.
import ssh2 from 'ssh2';

/** What is wrong with the key file at `path` (named `shown` in the message), or undefined. */
export async function privateKeyProblem(path: string, shown = path): Promise<string | undefined> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    return `cannot read private key ${shown} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  const parsed = ssh2.utils.parseKey(data);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error) {
    const hint = /passphrase/i.test(key.message) ? ' (for a key with a passphrase, load it into the SSH agent and set no privateKey)' : '';
    return `private key ${shown} cannot be used: ${key.message}${hint}`;
  }
  if (!key) return `private key ${shown} holds no key`;
  if (!key.isPrivateKey()) return `${shown} is a public key: give the private key (the file without .pub)`;
  return undefined;
}
