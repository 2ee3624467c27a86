// Validates module params against their schema with ajv, all errors at once, as Problems naming
// the field. Params given as functions are checked after they are resolved for a host.
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { TObject } from '@sinclair/typebox';
import { isSecret, MASK } from '../secret.ts';
import { closest } from '../suggest.ts';

const Ajv = AjvModule.default ?? AjvModule;
// verbose: errors carry the value and the schema, for "did you mean" and "not 'rwx'" in messages.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false, verbose: true });
ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
ajv.addKeyword({ keyword: 'x-expect', schemaType: 'string' });
const compiled = new WeakMap<TObject, ValidateFunction>();

export interface FieldError {
  field: string;
  message: string;
}

function validator(schema: TObject): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/**
 * Checks params against the schema. Function-valued params are skipped (pass `resolved: true` once
 * they have been resolved for a host). Defaults from the schema are filled into the returned copy.
 */
export function validateParams(schema: TObject, params: Record<string, unknown>): { value: Record<string, unknown>; errors: FieldError[] } {
  const deferred = new Set(Object.keys(params).filter((k) => typeof params[k] === 'function'));
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || deferred.has(k)) continue;
    copy[k] = maskedClone(v);
  }
  const fn = validator(schema);
  fn(copy);
  let errors = (fn.errors ?? [])
    .map(toFieldError)
    .filter((e) => !deferred.has(e.field.split(/[./[]/)[0]));
  // A secret handed to a field that is not secret would be used (and shown) as the text '***'.
  // That is the whole mistake: what ajv said of the '***' it saw there is dropped.
  const props = (schema.properties ?? {}) as Record<string, { type?: string; 'x-secret'?: boolean }>;
  for (const [k, v] of Object.entries(params)) {
    if (isSecret(v) && props[k] && props[k].type === 'string' && !props[k]['x-secret']) {
      errors = errors.filter((e) => e.field !== k);
      errors.push({ field: k, message: 'is given a secret, but this field is not secret: pass secrets only where the reference says "secret"' });
    }
  }
  // The checked copy had secrets masked; hand back the caller's own values, plus top-level defaults.
  for (const [k, v] of Object.entries(params)) if (v !== undefined) copy[k] = v;
  return { value: copy, errors: dedupe(errors) };
}

function toFieldError(e: ErrorObject): FieldError {
  const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const near = closest(extra, Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}));
    return { field: base ? `${base}.${extra}` : extra, message: `is not a known parameter of this module${near ? ` (did you mean ${near}?)` : ''}` };
  }
  if (e.keyword === 'pattern') {
    // A schema says what it expects in words (x-expect) where its pattern would not (modes).
    const expect = (e.parentSchema as { 'x-expect'?: string } | undefined)?.['x-expect'];
    const got = typeof e.data === 'string' ? `, not ${JSON.stringify(e.data.length > 40 ? `${e.data.slice(0, 40)}...` : e.data)}` : '';
    return { field: base || '(params)', message: `${expect ? `must be ${expect}` : `must match pattern ${(e.params as { pattern: string }).pattern}`}${got}` };
  }
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { field: base ? `${base}.${missing}` : missing, message: 'is required' };
  }
  if (e.keyword === 'enum') {
    return { field: base, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  if (e.keyword === 'type' && e.data !== undefined && typeof e.data !== 'object') {
    return { field: base || '(params)', message: `${e.message ?? 'is invalid'}, not ${JSON.stringify(e.data)}` };
  }
  return { field: base || '(params)', message: e.message ?? 'is invalid' };
}

/** anyOf unions report one error per branch; keep one line per field and message. */
function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.field}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function maskedClone(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(maskedClone);
  if (isSecret(v)) return MASK;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = maskedClone(x);
  return out;
}
