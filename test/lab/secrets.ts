// The lab's credentials: one SSH key for root and deploy (made once, kept across `down`), and
// deploy's sudo password (random per `up` after a `down`, stored 0600, never on a command line).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { labPaths } from './paths.ts';
import { run } from './sh.ts';
import { writeAtomic } from './state.ts';

export async function ensureKey(): Promise<void> {
  mkdirSync(labPaths.dir, { recursive: true, mode: 0o700 });
  if (existsSync(labPaths.privateKey) && existsSync(labPaths.publicKey)) return;
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'shipshape-lab', '-f', labPaths.privateKey], {
    input: 'y\n',
  });
}

/** Returns the crypt(3) hash of deploy's password, creating the password if there is none. */
export async function ensurePassword(): Promise<string> {
  if (!existsSync(labPaths.becomePasswordFile)) {
    writeAtomic(labPaths.becomePasswordFile, randomBytes(12).toString('base64url') + '\n', 0o600);
  }
  const password = readPassword();
  return (await run(['openssl', 'passwd', '-6', '-stdin'], { input: password + '\n' })).stdout.trim();
}

export const readPassword = () => readFileSync(labPaths.becomePasswordFile, 'utf8').trim();
