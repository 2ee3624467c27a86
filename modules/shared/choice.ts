// A string that is one of a few values, as a plain JSON-schema enum: ajv then reports "must be one
// of ..." (a union of literals reports one error per branch), and the reference lists the choices.
// It belongs in engine/schema.ts; kept here until that file's owner takes it.
import { Type, type TUnsafe } from '@sinclair/typebox';

export function Choice<const T extends readonly string[]>(values: T, opts: { description: string; default?: T[number] }): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}
