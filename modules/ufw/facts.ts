// ufw's state from its own files, keyed `ufw`: ENABLED in /etc/ufw/ufw.conf, the default policies
// and IPV6 in /etc/default/ufw, and the rules as the `### tuple ###` comment lines ufw writes in
// /etc/ufw/user.rules and user6.rules. Never `ufw status` prose. The ufw module predicts this shape.
// For the module's lockout guard it also reads the SSH connection it travels over as the host sees
// it (sshd's SSH_CONNECTION): the address the firewall will see the engine's next connection come from.
import { defineFact, type Fact, withStable } from '../../engine/facts/types.ts';

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

/** A rule as one family's chain holds it, in ufw's order: what the firewall does, not only what the module manages. */
export interface UfwChainRule extends UfwRule {
  /** 'log' or 'log-all' (`ufw allow log ...`): the verdict is the action's. */
  log?: string;
  /** A source application profile (`from any app NAME`): its source ports are not read here. */
  sourceApp?: string;
}

/** One SSH connection as the host sees it: sshd's SSH_CONNECTION (client address and port, own address and port). */
export interface UfwSshConnection {
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
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
  /** IPV6=yes in /etc/default/ufw: ufw applies user6.rules. With IPV6=no it drops all IPv6 traffic but loopback. */
  ipv6: boolean;
  /**
   * The user rules of each family in the order the firewall tries them (user.rules for IPv4,
   * user6.rules for IPv6: `ufw status numbered` lists the first, then the second), route rules left
   * out. A new connection takes the first rule that matches; none: the default policy.
   */
  chains: { v4: UfwChainRule[]; v6: UfwChainRule[] };
  /** The connection the facts were read over, as the host sees it; null when it could not be read. */
  ssh: UfwSshConnection | null;
}

/**
 * SSH_CONNECTION of the login session: in the environment, or (through sudo, which drops it) in the
 * environment the nearest ancestor process started with. Root may read them all; the login user its own.
 */
const SSH_CONNECTION_SH = [
  'c=${SSH_CONNECTION:-}; p=$$; n=0',
  'while [ -z "$c" ] && [ "$n" -lt 16 ]; do',
  "  p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null)",
  '  case $p in ""|0|1) break ;; esac',
  "  c=$(tr '\\000' '\\n' </proc/$p/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p' | head -n 1)",
  '  n=$((n + 1))',
  'done',
  "printf 'ssh=%s\\n' \"$c\"",
].join('\n');

export function ufwFact(): Fact<UfwFact> {
  const script = [
    SSH_CONNECTION_SH,
    '[ -x /usr/sbin/ufw ] || { echo notinstalled; exit 0; }',
    "grep -h '^ENABLED=' /etc/ufw/ufw.conf",
    "grep -h -e '^DEFAULT_[A-Z]*_POLICY=' -e '^IPV6=' /etc/default/ufw",
    'for f in /etc/ufw/user.rules /etc/ufw/user6.rules; do',
    '  [ -r "$f" ] && grep -h \'^### tuple ###\' "$f" | sed "s|^|${f##*/} |"',
    'done',
    'exit 0',
  ].join('\n');
  // The connection's client port is new on every connection: a saved plan holds the host to the rest.
  return withStable(defineFact<UfwFact>('ufw', script, parseUfw), (v) => ({ ...v, ssh: v.ssh && { client: v.ssh.client, server: v.ssh.server, serverPort: v.ssh.serverPort } }));
}

const POLICY: Record<string, UfwPolicy> = { ACCEPT: 'allow', DROP: 'deny', REJECT: 'reject' };

export function parseUfw(out: string): UfwFact {
  const lines = out.split('\n');
  const ssh = parseSshConnection(lines.find((l) => l.startsWith('ssh='))?.slice(4) ?? '');
  const empty = { enabled: false, incoming: null, outgoing: null, routed: null, rules: [], other: [], ipv6: false, chains: { v4: [], v6: [] }, ssh };
  // Not installed yet: the package's /etc/default/ufw says IPV6=yes, which is what an install brings.
  if (lines.some((l) => l === 'notinstalled')) return { installed: false, ...empty, ipv6: true };
  const fact: UfwFact = { installed: true, ...empty, chains: { v4: [], v6: [] } };
  const seen = new Set<string>();
  for (const line of lines) {
    const kv = /^(ENABLED|IPV6|DEFAULT_(INPUT|OUTPUT|FORWARD)_POLICY)=["']?([A-Za-z]+)["']?\s*$/.exec(line);
    if (kv) {
      if (kv[1] === 'ENABLED') fact.enabled = kv[3]!.toLowerCase() === 'yes';
      else if (kv[1] === 'IPV6') fact.ipv6 = kv[3]!.toLowerCase() === 'yes';
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
    const chained = parseChainRule(t[2]!);
    if (chained) fact.chains[t[1] === 'user.rules' ? 'v4' : 'v6'].push(chained);
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

/**
 * An address as ufw stores it, so that what a playbook asks compares equal to what the host holds
 * (else the rule is added again on every run): 'any' for wildcards; a single host without its /32
 * or /128; an IPv4 network with its host bits cleared ('10.1.2.3/8' is 10.0.0.0/8; an IPv6 one keeps
 * them, as ufw does); IPv6 lowercase and compressed as inet_ntop writes it ('2001:DB8:0:0::5' is 2001:db8::5). Text that is not an address
 * is kept as it is (the schema and ufw refuse it).
 */
export function normalAddress(a: string): string {
  if (WILD.has(a)) return 'any';
  const slash = a.indexOf('/');
  const base = slash < 0 ? a : a.slice(0, slash);
  const bits = ipBits(base);
  if (!bits) return a;
  const width = bits.v6 ? 128 : 32;
  const prefix = slash < 0 ? width : Number(a.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width || !/^\d+$/.test(slash < 0 ? '0' : a.slice(slash + 1))) return a;
  if (prefix === 0) return 'any';
  // ufw clears an IPv4 network's host bits but keeps an IPv6 one's (seen on ufw 0.36.2).
  const shift = BigInt(bits.v6 ? 0 : width - prefix);
  const net = (bits.bits >> shift) << shift;
  const text = bits.v6 ? v6Text(net) : v4Text(net);
  return prefix === width ? text : `${text}/${prefix}`;
}

function v4Text(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

/** inet_ntop's text: the longest run of two or more zero groups (the first of equals) as '::'; an embedded IPv4 for ::ffff:a.b.c.d and ::a.b.c.d. */
function v6Text(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { at: -1, len: 0 };
  const v4 = best.at === 0 && (best.len === 6 || (best.len === 5 && g[5] === 0xffff)) ? v4Text(n & 0xffffffffn) : undefined;
  const hex = g.slice(0, v4 ? 6 : 8).map((x) => x.toString(16));
  if (v4) return best.len === 6 ? `::${v4}` : `::ffff:${v4}`;
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/**
 * A tuple line (after `### tuple ###`): ACTION PROTO DPORT DST SPORT SRC [DAPP SAPP] DIRECTION
 * [comment=HEX]. App names have spaces as %20; '-' means no app. ACTION is `allow_log` or
 * `allow_log-all` for a logging rule and `route:allow` for a route rule. The rule the module manages:
 * logging variants, source apps and route rules are left as other.
 */
export function parseTuple(tuple: string): UfwRule | undefined {
  const read = readTuple(tuple);
  if (!read || read.log || read.sourceApp) return undefined;
  return read.rule;
}

/** Any rule of the incoming or outgoing chains, logging variants and source apps included; route rules: undefined. */
export function parseChainRule(tuple: string): UfwChainRule | undefined {
  const read = readTuple(tuple);
  if (!read) return undefined;
  const rule: UfwChainRule = { ...read.rule };
  if (read.log) rule.log = read.log;
  if (read.sourceApp) rule.sourceApp = read.sourceApp;
  return rule;
}

function readTuple(tuple: string): { rule: UfwRule; log?: string; sourceApp?: string } | undefined {
  const w = tuple.trim().split(/\s+/);
  let comment: string | undefined;
  if (w.length > 0 && w[w.length - 1]!.startsWith('comment=')) {
    comment = Buffer.from(w.pop()!.slice('comment='.length), 'hex').toString('utf8');
  }
  if (w.length !== 7 && w.length !== 9) return undefined;
  const [actionWord, proto, dport, dst, sport, src] = w as [string, string, string, string, string, string];
  const am = /^(allow|deny|limit|reject)(?:_(log|log-all))?$/.exec(actionWord);
  if (!am) return undefined;
  const dirWord = w[w.length - 1]!;
  const dm = /^(in|out)(?:_(.+))?$/.exec(dirWord);
  if (!dm) return undefined;
  const appName = (word: string | undefined) => (word !== undefined && word !== '-' ? decodeURIComponent(word.replace(/%20/g, ' ')) : undefined);
  const dapp = w.length === 9 ? appName(w[6]) : undefined;
  const sapp = w.length === 9 ? appName(w[7]) : undefined;
  const rule: UfwRule = {
    action: am[1] as UfwAction,
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
  return { rule, log: am[2], sourceApp: sapp };
}

/** SSH_CONNECTION's four words; null when empty or not that shape. */
export function parseSshConnection(value: string): UfwSshConnection | null {
  const w = value.trim().split(/\s+/);
  if (w.length !== 4 || !/^\d+$/.test(w[1]!) || !/^\d+$/.test(w[3]!)) return null;
  const [client, server] = [unmapped(w[0]!), unmapped(w[2]!)];
  if (ipBits(client) === undefined || ipBits(server) === undefined) return null;
  return { client, clientPort: Number(w[1]), server, serverPort: Number(w[3]) };
}

/** An IPv4 client of an IPv6 socket ('::ffff:10.0.0.1') is the IPv4 address: that is the family the firewall sees. */
function unmapped(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1]! : a;
}

/** An address as its family and bits; undefined when it is not an IPv4 or IPv6 address. */
export function ipBits(a: string): { v6: boolean; bits: bigint } | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) {
    const o = a.split('.').map(Number);
    if (o.some((x) => x > 255)) return undefined;
    return { v6: false, bits: o.reduce((n, x) => (n << 8n) | BigInt(x), 0n) };
  }
  if (!/^[0-9a-f:.]+$/i.test(a) || !a.includes(':')) return undefined;
  let text = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipBits(v4[1]!);
    if (!b) return undefined;
    text = `${text.slice(0, -v4[1]!.length)}${(b.bits >> 16n).toString(16)}:${(b.bits & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 2 ? fill < 1 : fill !== 0) || [...head, ...tail].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  return { v6: true, bits: all.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n) };
}

/**
 * Whether an address is inside a network as ufw writes one ('any', an address, 'A/len'); undefined
 * when either does not parse. Another family is never inside.
 */
export function inNetwork(address: string, network: string): boolean | undefined {
  if (network === 'any') return true;
  const [base, len] = network.split('/');
  const a = ipBits(address);
  const n = ipBits(base!);
  if (!a || !n) return undefined;
  if (a.v6 !== n.v6) return false;
  const width = a.v6 ? 128 : 32;
  const prefix = len === undefined ? width : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return undefined;
  const shift = BigInt(width - prefix);
  return a.bits >> shift === n.bits >> shift;
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
