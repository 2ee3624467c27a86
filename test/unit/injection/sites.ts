// The string params of a module, read from its params schema (JSON schema, as TypeBox builds it):
// every place a string can go, nested ones included (array items, object fields, record keys and
// values, each branch of a union), and how to put a value there in a copy of given params.

/** A step on the way to a string: a property name, an array item, a record key or a record value. */
export type Seg = { prop: string } | { item: true } | { key: true } | { value: true };

export interface StringSite {
  /** 'unit', 'groups[]', 'env{key}', 'env{}', 'rules[].comment'. */
  label: string;
  /** The top-level param the site is in. */
  param: string;
  /** The last property name on the way ('comment' for rules[].comment; the param for record keys). */
  leaf: string;
  segs: Seg[];
  schema: Record<string, unknown>;
}

type Schema = Record<string, unknown>;

export function stringSites(params: Schema): StringSite[] {
  const sites = new Map<string, StringSite>();
  const walk = (s: Schema, segs: Seg[]): void => {
    for (const branch of [...((s.anyOf as Schema[]) ?? []), ...((s.oneOf as Schema[]) ?? [])]) walk(branch, segs);
    if (s.type === 'string' && s.enum === undefined && s.const === undefined) {
      const label = labelOf(segs);
      if (!sites.has(label)) {
        const props = segs.filter((x): x is { prop: string } => 'prop' in x);
        sites.set(label, { label, param: props[0]!.prop, leaf: props[props.length - 1]!.prop, segs, schema: s });
      }
    }
    if (s.type === 'array' && s.items) walk(s.items as Schema, [...segs, { item: true }]);
    if (s.type === 'object') {
      for (const [k, v] of Object.entries((s.properties as Record<string, Schema>) ?? {})) walk(v, [...segs, { prop: k }]);
      for (const [pattern, v] of Object.entries((s.patternProperties as Record<string, Schema>) ?? {})) {
        if (segs.length === 0) continue;
        walk({ type: 'string', pattern }, [...segs, { key: true }]);
        walk(v, [...segs, { value: true }]);
      }
    }
  };
  walk(params, []);
  return [...sites.values()];
}

function labelOf(segs: Seg[]): string {
  return segs.map((x, i) => ('prop' in x ? `${i > 0 ? '.' : ''}${x.prop}` : 'item' in x ? '[]' : 'key' in x ? '{key}' : '{}')).join('');
}

/**
 * A deep copy of params with `value` at the site: in the first (or the last) item of an array, in
 * the first entry of a record (its key or its value).
 */
export function withValueAt(params: Record<string, unknown>, segs: Seg[], value: string, item: 'first' | 'last' = 'first'): Record<string, unknown> {
  const root: Record<string, unknown> = { root: structuredClone(params) };
  // The slot the walk is at: holder[at].
  let holder: Record<string | number, unknown> = root;
  let at: string | number = 'root';
  const container = (want: 'object' | 'array'): Record<string | number, unknown> => {
    const cur = holder[at];
    // A missing container is made; a plain string where a list may be (OneOrMany) becomes its first item.
    if (want === 'array' && !Array.isArray(cur)) holder[at] = cur === undefined ? [] : [cur];
    if (want === 'object' && (cur === null || typeof cur !== 'object' || Array.isArray(cur))) holder[at] = {};
    return holder[at] as Record<string | number, unknown>;
  };
  for (const seg of segs) {
    if ('prop' in seg) {
      holder = container('object');
      at = seg.prop;
    } else if ('item' in seg) {
      const arr = container('array') as unknown as unknown[];
      holder = arr as unknown as Record<number, unknown>;
      at = item === 'last' && arr.length > 0 ? arr.length - 1 : 0;
    } else {
      const rec = container('object');
      const first = Object.keys(rec)[0] ?? 'ZQ_KEY';
      if ('key' in seg) {
        const v = rec[first] ?? 'zqv';
        delete rec[first];
        rec[value] = v;
        return root.root as Record<string, unknown>;
      }
      holder = rec;
      at = first;
    }
  }
  holder[at] = value;
  return root.root as Record<string, unknown>;
}

/** The value at the site in params (the string the base holds there), if any. */
export function valueAt(params: Record<string, unknown>, segs: Seg[], item: 'first' | 'last' = 'first'): string | undefined {
  let cur: unknown = params;
  for (const seg of segs) {
    if (cur === undefined || cur === null) return undefined;
    if ('prop' in seg) cur = (cur as Record<string, unknown>)[seg.prop];
    else if ('item' in seg) cur = Array.isArray(cur) ? cur[item === 'last' ? cur.length - 1 : 0] : cur;
    else if ('key' in seg) cur = Object.keys(cur as object)[0];
    else cur = Object.values(cur as object)[0];
  }
  return typeof cur === 'string' ? cur : undefined;
}

/** How many items the arrays on the way hold at most (an array site with more than one is tried at both ends). */
export function itemsAt(params: Record<string, unknown>, segs: Seg[]): number {
  let cur: unknown = params;
  let most = 0;
  for (const seg of segs) {
    if (cur === undefined || cur === null) break;
    if ('prop' in seg) cur = (cur as Record<string, unknown>)[seg.prop];
    else if ('item' in seg) {
      if (!Array.isArray(cur)) break;
      most = Math.max(most, cur.length);
      cur = cur[0];
    } else cur = Object.values(cur as object)[0];
  }
  return most;
}
