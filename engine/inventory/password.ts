// Turns a become password source ({ file }, { env }, { value } or a Secret) into a Secret.
// Messages name the file or variable, never the value.
import { readFile } from 'node:fs/promises';
import { shownPath } from '../errors.ts';
import { isSecret, secret, type Secret } from '../secret.ts';
import type { PasswordSource } from './raw.ts';

export type PasswordResult = { ok: true; secret: Secret } | { ok: false; message: string };

export async function resolvePassword(source: PasswordSource, env: Record<string, string | undefined>): Promise<PasswordResult> {
  if (isSecret(source)) return { ok: true, secret: source };
  if ('value' in source) return { ok: true, secret: secret(source.value) };
  if ('env' in source) {
    const value = env[source.env];
    if (value === undefined) return { ok: false, message: `environment variable ${source.env} is not set` };
    if (value === '') return { ok: false, message: `environment variable ${source.env} is empty` };
    return { ok: true, secret: secret(value) };
  }
  let text: string;
  try {
    text = await readFile(source.file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'read error';
    return { ok: false, message: `cannot read password file ${shownPath(source.file)} (${code})` };
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') return { ok: false, message: `password file ${shownPath(source.file)} is empty` };
  return { ok: true, secret: secret(value) };
}
