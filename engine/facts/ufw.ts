// ufw's state from its own files, keyed `ufw`: ENABLED in /etc/ufw/ufw.conf, the default policies
// in /etc/default/ufw, and the rules as the `### tuple ###` comment lines ufw writes in
// /etc/ufw/user.rules and user6.rules. Never `ufw status` prose. The ufw module predicts this shape.
import { defineFact, type Fact } from './types.ts';

export type UfwPolicy = 'allow' | 'deny' | 'reject';
export type UfwAction = 'allow' | 'deny' | 'limit' | 'reject';

/** One rule, normalized: wildcard addresses ('0.0.0.0/0', '::/0') are 'any'; v4 and v6 copies are one rule. */
export interface UfwRule {
  action: UfwAction;
  direction: 'in' | 'out';
  /** 'tcp', 'udp' or 'any'. */
  proto: string;
  /** Destination port(s) as ufw writes them ('22', '80,443', '6000:6007') or 'any'. */
  port: string;
  /** Destination and source addresses ('any' or an address / CIDR), source port. */
  to: string;
  from: string;
  fromPort: string;
  /** Application profile of the destination ('OpenSSH'); port and proto are then the profile's (as ufw filled them in, or 'any' when unknown). */
  app?: string;
  /** Interface the rule is limited to ('eth0'). */
  interface?: string;
  comment?: string;
}

export interface UfwFact {
  installed: boolean;
  enabled: boolean;
  incoming: UfwPolicy | null;
  outgoing: UfwPolicy | null;
  routed: UfwPolicy | null;
  rules: UfwRule[];
  /** Rules ufw keeps that this reading does not model (route rules, logging variants): left alone. */
  other: string[];
}

export const UFW_KEY = 'ufw';

export function ufwFact(): Fact<UfwFact> {
  const script = [
    '[ -x /usr/sbin/ufw ] || { echo notinstalled; exit 0; }',
    "grep -h '^ENABLED=' /etc/ufw/ufw.conf",
    "grep -h '^DEFAULT_[A-Z]*_POLICY=' /etc/default/ufw",
    'for f in /etc/ufw/user.rules /etc/ufw/user6.rules; do',
    '  [ -r "$f" ] && grep -h \'^### tuple ###\' "$f" | sed "s|^|${f##*/} |"',
    'done',
    'exit 0',
  ].join('\n');
  return defineFact<UfwFact>(UFW_KEY, script, parseUfw);
}

const POLICY: Record<string, UfwPolicy> = { ACCEPT: 'allow', DROP: 'deny', REJECT: 'reject' };

export function parseUfw(out: string): UfwFact {
  if (out.startsWith('notinstalled')) return { installed: false, enabled: false, incoming: null, outgoing: null, routed: null, rules: [], other: [] };
  const fact: UfwFact = { installed: true, enabled: false, incoming: null, outgoing: null, routed: null, rules: [], other: [] };
  const seen = new Set<string>();
  for (const line of out.split('\n')) {
    const kv = /^(ENABLED|DEFAULT_(INPUT|OUTPUT|FORWARD)_POLICY)=["']?([A-Za-z]+)["']?\s*$/.exec(line);
    if (kv) {
      if (kv[1] === 'ENABLED') fact.enabled = kv[3]!.toLowerCase() === 'yes';
      else {
        const policy = POLICY[kv[3]!.toUpperCase()] ?? null;
        if (kv[2] === 'INPUT') fact.incoming = policy;
        if (kv[2] === 'OUTPUT') fact.outgoing = policy;
        if (kv[2] === 'FORWARD') fact.routed = policy;
      }
      continue;
    }
    const t = /^(user6?\.rules) ### tuple ### (.*)$/.exec(line);
    if (!t) continue;
    const rule = parseTuple(t[2]!);
    if (!rule) {
      if (!fact.other.includes(t[2]!)) fact.other.push(t[2]!);
      continue;
    }
    const key = ruleKey(rule);
    if (!seen.has(key)) {
      seen.add(key);
      fact.rules.push(rule);
    }
  }
  return fact;
}

const WILD = new Set(['0.0.0.0/0', '::/0', 'any']);

/** 'any' for wildcards; a single host without its /32 or /128. */
export function normalAddress(a: string): string {
  if (WILD.has(a)) return 'any';
  return a.includes(':') ? a.replace(/\/128$/, '') : a.replace(/\/32$/, '');
}

/**
 * A tuple line (after `### tuple ###`): ACTION PROTO DPORT DST SPORT SRC [DAPP SAPP] DIRECTION
 * [comment=HEX]. App names have spaces as %20; '-' means no app. Route rules are left as other.
 */
export function parseTuple(tuple: string): UfwRule | undefined {
  const w = tuple.trim().split(/\s+/);
  let comment: string | undefined;
  if (w.length > 0 && w[w.length - 1]!.startsWith('comment=')) {
    comment = Buffer.from(w.pop()!.slice('comment='.length), 'hex').toString('utf8');
  }
  if (w.length !== 7 && w.length !== 9) return undefined;
  const [action, proto, dport, dst, sport, src] = w as [string, string, string, string, string, string];
  if (!['allow', 'deny', 'limit', 'reject'].includes(action)) return undefined;
  const dirWord = w[w.length - 1]!;
  const dm = /^(in|out)(?:_(.+))?$/.exec(dirWord);
  if (!dm) return undefined;
  const dapp = w.length === 9 && w[6] !== '-' ? decodeURIComponent(w[6]!.replace(/%20/g, ' ')) : undefined;
  const sapp = w.length === 9 && w[7] !== '-' ? w[7] : undefined;
  if (sapp) return undefined;
  const rule: UfwRule = {
    action: action as UfwAction,
    direction: dm[1] as 'in' | 'out',
    proto,
    port: dport,
    to: normalAddress(dst),
    from: normalAddress(src),
    fromPort: sport,
  };
  if (dapp) rule.app = dapp;
  if (dm[2]) rule.interface = dm[2];
  if (comment) rule.comment = comment;
  return rule;
}

/** Where a rule applies, without its action and comment: ufw keeps one rule per place (adding another action replaces it). */
export function placeKey(r: UfwRule): string {
  // An app rule's port and proto are the profile's, filled in by ufw: the app name stands for them.
  const what = r.app ? ['app', r.app] : [r.proto, r.port];
  return [r.direction, r.interface ?? '-', ...what, r.to, r.fromPort, r.from].join(' ');
}

/** The rule as ufw compares it for add and delete (the comment is not part of it). */
export function ruleKey(r: UfwRule): string {
  return `${r.action} ${placeKey(r)}`;
}
