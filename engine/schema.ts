// Schema helpers on top of TypeBox shared by modules: secret strings, octal modes, one-or-many.
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type { Secret } from './secret.ts';

export { Type } from '@sinclair/typebox';

/** A string that is a secret: accepts a Secret or a plain string, and is shown as *** everywhere. */
export function SecretString(opts: { description?: string } = {}): TUnsafe<string | Secret> {
  return Type.Unsafe<string | Secret>({ type: 'string', 'x-secret': true, ...opts });
}

/** A file mode as octal text: '0644', '644', '0755'. */
export function Mode(opts: { description?: string } = {}) {
  return Type.String({ pattern: '^0?[0-7]{3,4}$', 'x-expect': "an octal mode such as '0644' or '755'", description: opts.description ?? "octal file mode, e.g. '0644'" });
}

/** One value or a list of them. */
export function OneOrMany<T extends TSchema>(item: T, opts: { description?: string } = {}) {
  return Type.Union([item, Type.Array(item)], opts);
}

export function toList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Normalizes an octal mode to four digits: '644' -> '0644'. */
export function normalizeMode(mode: string): string {
  return mode.padStart(4, '0').slice(-4);
}

/**
 * A string that is one of a few values, as a plain JSON-schema enum: ajv then reports "must be one
 * of ..." once (a union of literals reports one error per branch), and the reference lists them.
 */
export function Choice<const T extends readonly string[]>(values: T, opts: { description?: string; default?: T[number] } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

/*
 * Names the host's tools take as operands. None may start with '-': systemctl, getent, useradd and
 * chown would read such a name as options (a unit named -Hhost is systemctl --host), and the tools
 * that create them refuse it anyway. Commands still put `--` before them where the tool allows.
 */

/**
 * A systemd unit name, with or without its suffix, per systemd.unit(5): ASCII letters, digits,
 * ':', '-', '_', '.', '\' and '@' (templates and instances), at most 255 characters, no leading '-'.
 */
export function UnitName(opts: { description?: string } = {}) {
  return Type.String({ pattern: '^[A-Za-z0-9:_.\\\\@][A-Za-z0-9:_.\\\\@-]*$', maxLength: 255, ...opts });
}

/** A user name as useradd takes it (Debian's default NAME_REGEX, $ allowed last for machine accounts). */
export function UserName(opts: { description?: string } = {}) {
  return Type.String({ minLength: 1, pattern: '^[a-z_][a-z0-9_.-]*\\$?$', ...opts });
}

/** A group name as groupadd takes it. */
export function GroupName(opts: { description?: string } = {}) {
  return Type.String({ minLength: 1, pattern: '^[a-z_][a-z0-9_.-]*$', ...opts });
}
