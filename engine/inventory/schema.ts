// The JSON schema of the native inventory shape (TypeScript default export and YAML alike).
// additionalProperties is false everywhere but in vars, so a misspelt field is an error, not a silent default.
import { Ajv, type ErrorObject } from 'ajv';
import { isSecret } from '../secret.ts';
import { closest } from '../suggest.ts';

const str = { type: 'string', minLength: 1 };

const connection = {
  user: str,
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  privateKey: str,
  knownHosts: str,
  becomeMethod: { enum: ['sudo'] },
  becomePassword: { passwordSource: true },
  jump: str,
  connectTimeoutMs: { type: 'integer', minimum: 1 },
};

const vars = { type: ['object', 'null'] };

export const inventorySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    defaults: { type: ['object', 'null'], additionalProperties: false, properties: connection },
    vars,
    hosts: {
      type: ['object', 'null'],
      additionalProperties: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: { address: str, ...connection, vars },
      },
    },
    groups: {
      type: ['object', 'null'],
      additionalProperties: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: {
          hosts: { type: 'array', items: str },
          children: { type: 'array', items: str },
          vars,
        },
      },
    },
  },
};

export const PASSWORD_SOURCE_MESSAGE = 'must be { file: path }, { env: NAME }, { value: string } or a secret(...)';

/** A Secret, or an object with exactly one of file / env / value, a non-empty string. */
export function isPasswordSource(data: unknown): boolean {
  if (isSecret(data)) return true;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const keys = Object.keys(data);
  if (keys.length !== 1 || !['file', 'env', 'value'].includes(keys[0]!)) return false;
  const value = (data as Record<string, unknown>)[keys[0]!];
  return typeof value === 'string' && value !== '';
}

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true });
ajv.addKeyword({ keyword: 'passwordSource', schemaType: 'boolean', validate: (_: boolean, data: unknown) => isPasswordSource(data) });

export const validateInventory = ajv.compile(inventorySchema);

export type SchemaProblem = { path: string; message: string };

/** Maps ajv errors to readable paths (`hosts.relay1.port`) and messages; ajv never puts data values in them. */
export function schemaProblems(errors: readonly ErrorObject[] | null | undefined): SchemaProblem[] {
  return (errors ?? []).map((e) => {
    const at = pointerToPath(e.instancePath);
    switch (e.keyword) {
      case 'additionalProperty':
      case 'additionalProperties': {
        const field = String(e.params.additionalProperty);
        return { path: joinPath(at, field), message: `unknown field${suggest(field, e.parentSchema)}` };
      }
      case 'passwordSource':
        return { path: at, message: PASSWORD_SOURCE_MESSAGE };
      case 'enum':
        return { path: at, message: `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}` };
      case 'type':
        return { path: at, message: e.data === null ? `has no value (must be ${String(e.params.type).replace(",", " or ")})` : `must be ${String(e.params.type).replace(',', ' or ')}` };
      case 'minLength':
        return { path: at, message: 'must not be empty' };
      default:
        return { path: at, message: e.message ?? 'is invalid' };
    }
  });
}

/** `/hosts/relay1.example.org/port` -> `hosts["relay1.example.org"].port` */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(joinPath, '');
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number' || /^\d+$/.test(key)) return `${base}[${key}]`;
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

function suggest(field: string, parentSchema: unknown): string {
  const props = Object.keys((parentSchema as { properties?: object } | undefined)?.properties ?? {});
  const close = closest(field, props);
  return close ? ` (did you mean ${close}?)` : props.length ? ` (allowed: ${props.join(', ')})` : '';
}
