// ufw: default policies, rules and the enabled state of the host firewall. The current state comes
// from ufw's own files (modules/ufw/facts.ts), compared as rule tuples; changes are ufw CLI calls.
// One task can hold a whole firewall (default + rules + state) or a single rule (the top-level
// rule fields); the predicted state lets a later ufw task see the rules of an earlier one.
// The lockout guard evaluates the planned firewall as it will filter the engine's next SSH
// connection: each family's rules in order, the first match wins, the default policy last.
import { inNetwork, ipBits, normalAddress, placeKey, ruleKey, ufwFact, type UfwChainRule, type UfwFact, type UfwPolicy, type UfwRule, type UfwSshConnection } from './facts.ts';
import { defineModule, PrepareError, type PlanContext } from '../../engine/module.ts';
import { predict, predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type Plan, type RunStep } from '../../engine/plan/types.ts';
import { Choice, Type } from '../../engine/schema.ts';

const ACTIONS = ['allow', 'deny', 'limit', 'reject'] as const;
const POLICIES = ['allow', 'deny', 'reject'] as const;
const PORT = '^[0-9]+(:[0-9]+)?(,[0-9]+(:[0-9]+)?)*$';
const ADDRESS = '^(any|[0-9A-Fa-f.:]+(/[0-9]{1,3})?)$';

/** Ports of application profiles the guard and the prediction know without asking the host. */
const KNOWN_APPS: Record<string, { port: string; proto: string }> = { OpenSSH: { port: '22', proto: 'tcp' } };

const ruleFields = {
  port: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ pattern: PORT })], { description: "Destination port: 22, '80,443', '6000:6007' (lists and ranges need proto). Unset: any port." })),
  proto: Type.Optional(Choice(['tcp', 'udp', 'any'], { description: "Protocol. Default 'any'." })),
  app: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$', description: "Destination application profile instead of port/proto, e.g. 'OpenSSH' (see `ufw app list`)." })),
  from: Type.Optional(Type.String({ pattern: ADDRESS, description: "Source address or network ('203.0.113.4', '10.0.0.0/8', IPv6 too). Default 'any'." })),
  fromPort: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ pattern: PORT })], { description: 'Source port. Unset: any.' })),
  to: Type.Optional(Type.String({ pattern: ADDRESS, description: "Destination address or network. Default 'any'." })),
  direction: Type.Optional(Choice(['in', 'out'], { description: "Traffic direction the rule matches. Default 'in'." })),
  interface: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]+$', description: "Limit the rule to this network interface ('eth0')." })),
  comment: Type.Optional(Type.String({ pattern: '^[^\\n\\r\\x27]*$', maxLength: 200, description: 'A comment stored with the rule (shown by `ufw status`). A different comment on an existing rule updates it.' })),
  delete: Type.Optional(Type.Boolean({ description: 'Remove this rule (the same action, port, addresses) instead of adding it. Default false.' })),
};

const ruleSchema = Type.Object(
  { rule: Choice(ACTIONS, { description: 'What the rule does: allow, deny (drop), reject, or limit (allow, but refuse an address after 6 connections in 30 s).' }), ...ruleFields },
  { additionalProperties: false, description: 'One firewall rule.' },
);

const params = Type.Object(
  {
    state: Type.Optional(Choice(['enabled', 'disabled', 'reloaded'], { description: 'enabled: the firewall is on (and on at boot); disabled: off; reloaded: reload the rules when it is on (an action, not reported as a change). Unset: left as it is.' })),
    default: Type.Optional(
      Type.Object(
        {
          incoming: Type.Optional(Choice(POLICIES, { description: 'Policy for incoming traffic no rule matches.' })),
          outgoing: Type.Optional(Choice(POLICIES, { description: 'Policy for outgoing traffic no rule matches.' })),
          routed: Type.Optional(Choice(POLICIES, { description: 'Policy for forwarded (routed) traffic.' })),
        },
        { additionalProperties: false, description: "Default policies per direction: { incoming, outgoing, routed }, each 'allow', 'deny' or 'reject'. Unset directions are left alone." },
      ),
    ),
    rules: Type.Optional(Type.Array(ruleSchema, { description: 'Rules to add (or, with delete, to remove), in order: { rule, port, proto, app, from, fromPort, to, direction, interface, comment, delete }.' })),
    rule: Type.Optional(Choice(ACTIONS, { description: 'A single rule held by this task: its action (the other rule fields below describe it).' })),
    ...ruleFields,
  },
  { additionalProperties: false },
);

export type RuleSpec = { rule: (typeof ACTIONS)[number]; port?: number | string; proto?: string; app?: string; from?: string; fromPort?: number | string; to?: string; direction?: 'in' | 'out'; interface?: string; comment?: string; delete?: boolean };

/** The rule as the fact reading will show it once ufw has it. */
export function normalize(s: RuleSpec): UfwRule {
  const app = s.app !== undefined ? (KNOWN_APPS[s.app] ?? { port: 'any', proto: 'any' }) : undefined;
  const r: UfwRule = {
    action: s.rule,
    direction: s.direction ?? 'in',
    proto: app ? app.proto : (s.proto ?? 'any'),
    port: app ? app.port : s.port !== undefined ? String(s.port) : 'any',
    to: normalAddress(s.to ?? 'any'),
    from: normalAddress(s.from ?? 'any'),
    fromPort: s.fromPort !== undefined ? String(s.fromPort) : 'any',
  };
  if (s.app !== undefined) r.app = s.app;
  if (s.interface !== undefined) r.interface = s.interface;
  if (s.comment !== undefined && s.comment !== '') r.comment = s.comment;
  return r;
}

/** The ufw command line for a rule, in ufw's full syntax. */
export function ruleArgv(s: RuleSpec, del = false): string[] {
  const argv = ['ufw', ...(del ? ['delete'] : []), s.rule, s.direction ?? 'in'];
  if (s.interface) argv.push('on', s.interface);
  if (!s.app && s.proto && s.proto !== 'any') argv.push('proto', s.proto);
  argv.push('from', s.from ?? 'any');
  if (s.fromPort !== undefined) argv.push('port', String(s.fromPort));
  argv.push('to', s.to ?? 'any');
  if (s.app) argv.push('app', s.app);
  else if (s.port !== undefined) argv.push('port', String(s.port));
  if (!del && s.comment) argv.push('comment', s.comment);
  return argv;
}

export function describeRule(r: UfwRule): string {
  const what = r.app ? `app ${r.app}` : r.port === 'any' ? `${r.proto === 'any' ? 'any' : r.proto} traffic` : `${r.port}/${r.proto}`;
  const parts = [r.action, r.direction, what];
  if (r.from !== 'any' || r.fromPort !== 'any') parts.push(`from ${r.from}${r.fromPort !== 'any' ? ` port ${r.fromPort}` : ''}`);
  if (r.to !== 'any') parts.push(`to ${r.to}`);
  if (r.interface) parts.push(`on ${r.interface}`);
  if (r.comment) parts.push(`(${r.comment})`);
  return parts.join(' ');
}

function portIncludes(spec: string, port: number): boolean {
  if (spec === 'any') return true;
  return spec.split(',').some((part) => {
    const [a, b] = part.split(':').map(Number);
    return b === undefined ? a === port : a! <= port && port <= b;
  });
}

type Family = 'v4' | 'v6';

/** Where ufw puts a rule: an address of one family keeps it to that family's list, 'any' to both (IPv4 only with IPV6=no). */
function familiesOf(r: UfwRule, ipv6: boolean): Family[] {
  const addresses = [r.from, r.to].filter((a) => a !== 'any');
  if (addresses.some((a) => a.includes(':'))) return ['v6'];
  if (addresses.length > 0) return ['v4'];
  return ipv6 ? ['v4', 'v6'] : ['v4'];
}

/**
 * Each family's rule list after the plan's ufw commands, as ufw's backend edits it (set_rule): an
 * added rule takes the place of one with the same match (another action, log type or comment) where
 * it stands, else goes at the end; a delete removes the rule with the same action. Adds run first.
 */
export function predictChains(chains: UfwFact['chains'], ipv6: boolean, adds: readonly RuleSpec[], deletes: readonly RuleSpec[]): UfwFact['chains'] {
  const out = { v4: [...chains.v4], v6: [...chains.v6] };
  for (const want of adds.map(normalize)) {
    for (const family of familiesOf(want, ipv6)) {
      const at = out[family].findIndex((r) => r.sourceApp === undefined && placeKey(r) === placeKey(want));
      if (at >= 0) out[family][at] = want;
      else out[family].push(want);
    }
  }
  for (const want of deletes.map(normalize)) {
    for (const family of familiesOf(want, ipv6)) out[family] = out[family].filter((r) => r.sourceApp !== undefined || r.log !== undefined || ruleKey(r) !== ruleKey(want));
  }
  return out;
}

/**
 * A new SSH connection of the engine as the host's firewall will see it. From the connection the
 * facts were read over when the host could tell (its SSH_CONNECTION: through NAT or a jump host
 * too, that is the address the host sees); else only the port, and the family when the inventory
 * address is a literal one.
 */
export interface Arrival {
  family: Family;
  /** The controller's address (or its NAT's, or its jump host's) as the host sees it. */
  client?: string;
  /** The host's own address and port that connection reached. */
  server?: string;
  port: number;
}

export function arrivalsOf(ssh: UfwSshConnection | null, ctx: Pick<PlanContext, 'sshPort' | 'address'>): Arrival[] {
  if (ssh) return [{ family: ipBits(ssh.client)?.v6 ? 'v6' : 'v4', client: ssh.client, server: ssh.server, port: ssh.serverPort }];
  const literal = ctx.address !== undefined ? ipBits(ctx.address) : undefined;
  const families: Family[] = literal ? [literal.v6 ? 'v6' : 'v4'] : ['v4', 'v6'];
  return families.map((family) => ({ family, port: ctx.sshPort }));
}

type Match = { is: 'yes' } | { is: 'no'; why?: string } | { is: 'maybe'; why: string[] };

/** Whether a rule matches the arrival; 'maybe' when that depends on what the engine cannot know, saying what. */
export function matchRule(r: UfwChainRule, a: Arrival): Match {
  if (r.direction !== 'in' || (r.proto !== 'tcp' && r.proto !== 'any')) return { is: 'no' };
  const why: string[] = [];
  if (r.app !== undefined && r.port === 'any') why.push(`the ports of app profile ${r.app} are not known to the engine`);
  else if (!portIncludes(r.port, a.port)) return { is: 'no' };
  for (const [limit, seen, word] of [[r.from, a.client, 'from'], [r.to, a.server, 'to']] as const) {
    if (limit === 'any') continue;
    const inside = seen === undefined ? undefined : inNetwork(seen, limit);
    if (inside === false) return { is: 'no', why: word === 'from' ? `the host sees the engine connect from ${seen}` : `the engine's connections reach ${seen}` };
    if (inside === undefined) why.push(seen === undefined ? `the engine could not read the address the host sees its connections ${word === 'from' ? 'come from' : 'reach'}` : `the engine cannot tell whether ${seen} is in ${limit}`);
  }
  if (r.fromPort !== 'any') why.push(`it matches source port ${r.fromPort} only, and the controller picks its source port`);
  if (r.sourceApp !== undefined) why.push(`it matches the source ports of app profile ${r.sourceApp}`);
  if (r.interface !== undefined) why.push(`it matches traffic arriving on ${r.interface} only, and the engine cannot tell which interface its connections arrive on`);
  return why.length > 0 ? { is: 'maybe', why } : { is: 'yes' };
}

/** What stops the arrival: a rule (certainly, or maybe), the default policy, or IPv6 turned off. */
export interface Blocked {
  /** The same key before and after a plan: the same cause. */
  key: string;
  family: Family;
  /** False when it depends on a rule that may or may not match. */
  certain: boolean;
  by: { rule: UfwChainRule; why: string[] } | { policy: UfwPolicy | null } | { ipv6Off: true };
  /** Rules before it that allow the port but do not, or may not, match the engine's connections, with why. */
  unsure: string[];
}

const describeChained = (r: UfwChainRule) => `${describeRule(r)}${r.log ? ` ${r.log}` : ''}${r.sourceApp ? ` from app ${r.sourceApp}` : ''}`;

const isLoopback = (a: string) => inNetwork(a, '127.0.0.0/8') === true || a === '::1';

/**
 * ufw's verdict on a new connection (undefined: let in). Before the user rules, ufw's before.rules
 * accept loopback; the user rules of the family follow in order, the first match decides (limit
 * lets a first connection in; deny and reject both block); no match: the default incoming policy.
 * A rule that may match is counted as not letting in and as blocking.
 */
export function verdict(f: Pick<UfwFact, 'incoming' | 'ipv6' | 'chains'>, a: Arrival): Blocked | undefined {
  if (a.client !== undefined && isLoopback(a.client)) return undefined;
  if (a.family === 'v6' && !f.ipv6) return { key: 'v6 ipv6-off', family: 'v6', certain: true, by: { ipv6Off: true }, unsure: [] };
  const unsure: string[] = [];
  let maybeIn = false;
  for (const r of f.chains[a.family]) {
    const m = matchRule(r, a);
    const allows = r.action === 'allow' || r.action === 'limit';
    if (m.is === 'no') {
      if (allows && m.why) unsure.push(`'${describeChained(r)}' does not match: ${m.why}`);
      continue;
    }
    if (allows) {
      if (m.is === 'yes') return undefined;
      maybeIn = true;
      unsure.push(`'${describeChained(r)}' may not match: ${m.why.join('; ')}`);
      continue;
    }
    const certain = m.is === 'yes' && !maybeIn;
    return { key: `${a.family} rule ${r.action}${r.log ? `_${r.log}` : ''} ${r.sourceApp ?? '-'} ${placeKey(r)}`, family: a.family, certain, by: { rule: r, why: m.is === 'yes' ? [] : m.why }, unsure };
  }
  if (f.incoming === 'allow') return undefined;
  return { key: `${a.family} policy ${f.incoming}`, family: a.family, certain: !maybeIn, by: { policy: f.incoming }, unsure };
}

/**
 * The lockout guard: why the firewall the plan leaves (enabled) would block the engine's next SSH
 * connection, or undefined. An uncertain cause (a rule that may or may not match) that the enabled
 * firewall already has is not one this plan makes: the engine came in through that state, which
 * may well be open, and refusing would refuse every change to it. A certain cause is refused even
 * when it is already there: the plan leaves the host locked, and the error says how to open it.
 */
export function lockout(before: UfwFact, after: UfwFact, ctx: Pick<PlanContext, 'host' | 'sshPort' | 'address'>): string | undefined {
  const arrivals = arrivalsOf(after.ssh, ctx);
  const blocked = arrivals.map((a) => ({ a, b: verdict(after, a) })).filter((x): x is { a: Arrival; b: Blocked } => x.b !== undefined);
  if (blocked.length === 0) return undefined;
  if (before.installed && before.enabled) {
    const now = new Set(arrivals.map((a) => verdict(before, a)?.key));
    if (blocked.every((x) => !x.b.certain && now.has(x.b.key))) return undefined;
  }
  const { a, b } = blocked[0]!;
  const other: Family = a.family === 'v4' ? 'v6' : 'v4';
  const otherAllows = after.chains[other].some((r) => (r.action === 'allow' || r.action === 'limit') && matchRule(r, { family: other, port: a.port }).is !== 'no');
  const family = arrivals.length === 1 ? (a.family === 'v6' ? 'IPv6 ' : '') : blocked.length === 1 ? `${a.family === 'v6' ? 'IPv6' : 'IPv4'} ` : '';
  const port = `port ${a.port}/tcp, the SSH port the engine is connected to ${ctx.host} through${a.port !== ctx.sshPort ? ` (the host's side of port ${ctx.sshPort})` : ''}`;
  const seen = a.client !== undefined ? `the host sees the engine connect from ${a.client}` : 'the engine could not read the address the host sees it connect from';
  const unsure = b.unsure.length > 0 ? ` Rules before it that allow the port: ${b.unsure.join('; ')}.` : '';
  const allow = `{ rule: 'allow', port: ${a.port}, proto: 'tcp' }${a.port === 22 ? " or { rule: 'limit', app: 'OpenSSH' }" : ''}`;
  if ('ipv6Off' in b.by) {
    return `refusing to leave ufw enabled with IPV6=no in /etc/default/ufw: ufw then drops all IPv6 traffic but loopback, and the engine ${a.client !== undefined ? `reaches ${ctx.host} over IPv6 (${seen})` : `may reach ${ctx.host} over IPv6 (its address is not an IPv4 literal)`}: it would lock the engine (and you) out. Set IPV6=yes in /etc/default/ufw, or reach the host over IPv4.`;
  }
  if ('policy' in b.by) {
    const how = b.by.policy === 'deny' ? 'denied' : b.by.policy === 'reject' ? 'rejected' : 'under an unknown default policy';
    return `refusing to leave ufw enabled with incoming traffic ${how} while no ${family}rule allows ${port}: it would lock the engine (and you) out.` +
      `${b.unsure.length > 0 ? ` Rules that allow the port without matching the engine's connections: ${b.unsure.join('; ')}.` : ''}` +
      `${otherAllows && b.unsure.length === 0 ? ` Only ${other === 'v6' ? 'IPv6' : 'IPv4'} rules allow it: ufw keeps the IPv4 and IPv6 rules apart, and a rule with an address of one family holds for that family only.` : ''}` +
      ` Add a rule such as ${allow} to this task or an earlier one.`;
  }
  const r = b.by.rule;
  const sure = b.by.why.length === 0;
  const fromWhy = sure ? (r.from !== 'any' ? ` (${seen})` : '') : ` (${b.by.why.join('; ')})`;
  // A rule the host has must be taken out and put back to come after an allow; one this plan adds can be listed after it.
  const held = before.installed && before.chains[a.family].some((x) => placeKey(x) === placeKey(r) && x.action === r.action);
  const move = held
    ? `ufw adds rules at the end, so add ${allow} and delete that rule in one task, then add the rule again in a later task`
    : `ufw adds rules in the order given, at the end, so give ${allow} before it`;
  return `refusing this ufw plan: the ${family}rule '${describeChained(r)}' ${sure ? 'blocks' : 'may block'} new connections to ${port}${fromWhy}, and ufw applies the first rule that matches.` +
    `${unsure} It would lock the engine (and you) out. Delete or narrow that rule, or let ${a.port}/tcp in before it: ${move}.`;
}

/** The task's rules: the list, then the single top-level rule. */
export function specsOf(p: Partial<RuleSpec> & { rules?: RuleSpec[]; rule?: RuleSpec['rule'] }): RuleSpec[] {
  const { rules, state: _s, default: _d, ...single } = p as Record<string, unknown>;
  const out = [...((rules as RuleSpec[] | undefined) ?? [])];
  if (p.rule !== undefined) out.push(single as unknown as RuleSpec);
  return out;
}

const DIRECTIONS = ['incoming', 'outgoing', 'routed'] as const;

export const ufw = defineModule({
  name: 'ufw',
  summary: 'Manage the ufw firewall: default policies, rules, enabled state; refuses to lock the engine out.',
  doc: [
    "The state is read from ufw's own files (ufw.conf, /etc/default/ufw, the rule tuples of",
    'user.rules and user6.rules) and compared rule by rule; changes are ufw commands. A task holds a',
    'whole firewall (default, rules, state) or a single rule (rule, port, proto...). Rules are added',
    'first, then the policies change, then rules are deleted, then the firewall is enabled or',
    'disabled. A rule at the place of one with another action replaces it, as ufw does.',
    'Lockout guard: a plan that leaves ufw enabled fails when it would block a new SSH connection of',
    'the engine, as the firewall decides: the rules of the family it connects over (IPv4 or IPv6) in',
    'ufw\'s order, the first that matches TCP to the SSH port wins (limit lets a first connection in,',
    'deny and reject block), else the default policy, whatever it is. The address the host sees the',
    'engine come from (and reach) is read on the host (SSH_CONNECTION); a rule limited by an interface',
    'or source port, or an address the engine could not read, may or may not match: it is not counted',
    'as letting the engine in, and as blocking it. The error names the rule or default that blocks',
    'and what to add or move. A task that changes nothing is never refused, nor one that leaves the',
    'causes the enabled firewall already has. limit refuses a source after 6 new connections in 30 s,',
    'the engine\'s own included (one per host and run). ufw must be installed.',
    '',
    '  ufw({ default: { incoming: "deny", outgoing: "allow" }, state: "enabled", rules: [',
    '    { rule: "limit", app: "OpenSSH" }, { rule: "allow", port: 5223, proto: "tcp", comment: "relay" } ] })',
    '  ufw({ rule: "allow", port: "3478", proto: "udp", from: "10.0.0.0/8" })',
    '  ufw({ rule: "allow", port: 8080, proto: "tcp", delete: true })',
  ].join('\n'),
  params,
  prepare(p) {
    const specs = specsOf(p);
    const single = Object.keys(ruleFields).filter((k) => (p as Record<string, unknown>)[k] !== undefined);
    if (p.rule === undefined && single.length > 0) throw new PrepareError(`${single.join(', ')} describe a single rule: give its action in rule (allow, deny, limit, reject), or use rules`, 'rule');
    specs.forEach((s, i) => {
      const field = p.rule !== undefined && i === specs.length - 1 ? 'rule' : `rules/${i}`;
      if (s.app !== undefined && (s.port !== undefined || s.proto !== undefined)) throw new PrepareError('an app rule takes its port and proto from the profile: give app or port/proto, not both', field);
      if (s.port !== undefined && /[,:]/.test(String(s.port)) && (s.proto ?? 'any') === 'any') throw new PrepareError(`a port list or range ('${s.port}') needs proto tcp or udp`, field);
      if (s.fromPort !== undefined && (s.proto ?? 'any') === 'any') throw new PrepareError('fromPort needs proto tcp or udp', field);
    });
    if (p.state === undefined && p.default === undefined && specs.length === 0) throw new PrepareError('nothing to do: give state, default, rules or rule', 'state');
  },
  facts: () => [ufwFact()],
  plan(p, ctx): Plan {
    let current = ctx.facts.get(ufwFact());
    if (!current.installed) {
      // An earlier apt task of this run installs ufw (a dry run cannot see it yet): plan against the
      // state Debian's package ships (disabled, no rules, incoming and routed DROP, outgoing ACCEPT, IPV6=yes).
      if (!ctx.packages.installs.includes('ufw')) throw new PlanError('ufw is not installed on this host (install the ufw package first)');
      current = { ...current, installed: true, enabled: false, incoming: 'deny', outgoing: 'allow', routed: 'deny', rules: [], other: [], ipv6: true, chains: { v4: [], v6: [] } };
    }
    const changes: Change[] = [];
    const adds: RunStep[] = [];
    const deletes: RunStep[] = [];
    const policySteps: RunStep[] = [];
    // The rules behind the add and delete commands, for the per-family prediction the guard reads.
    const added: RuleSpec[] = [];
    const deleted: RuleSpec[] = [];
    let rules = [...current.rules];

    for (const spec of specsOf(p)) {
      const want = normalize(spec);
      const existing = rules.find((r) => ruleKey(r) === ruleKey(want));
      if (spec.delete) {
        if (!existing) continue;
        changes.push({ what: `rule ${describeRule({ ...want, comment: undefined })}`, before: 'present', after: 'absent' });
        deletes.push({ kind: 'run', argv: ruleArgv(spec, true) });
        deleted.push(spec);
        rules = rules.filter((r) => r !== existing);
        continue;
      }
      if (existing && (want.comment === undefined || existing.comment === want.comment)) continue;
      const samePlace = rules.find((r) => placeKey(r) === placeKey(want));
      changes.push({ what: `rule ${describeRule({ ...want, comment: undefined })}`, before: samePlace ? describeRule(samePlace) : 'absent', after: describeRule(want) });
      adds.push({ kind: 'run', argv: ruleArgv(spec) });
      added.push(spec);
      // ufw replaces a rule at the same place (another action, another comment) where it stands,
      // comment included (a new action without a comment drops the old comment).
      const at = samePlace ? rules.indexOf(samePlace) : -1;
      if (at >= 0) rules[at] = want;
      else rules.push(want);
    }

    const policies: Record<(typeof DIRECTIONS)[number], UfwPolicy | null> = { incoming: current.incoming, outgoing: current.outgoing, routed: current.routed };
    for (const dir of DIRECTIONS) {
      const want = p.default?.[dir];
      if (want === undefined || want === current[dir]) continue;
      changes.push({ what: `default ${dir}`, before: current[dir], after: want });
      policySteps.push({ kind: 'run', argv: ['ufw', 'default', want, dir] });
      policies[dir] = want;
    }

    const enabled = p.state === 'enabled' ? true : p.state === 'disabled' ? false : current.enabled;
    const stateSteps: RunStep[] = [];
    if (enabled !== current.enabled) {
      changes.push({ what: 'firewall', before: current.enabled ? 'enabled' : 'disabled', after: enabled ? 'enabled' : 'disabled' });
      stateSteps.push({ kind: 'run', argv: enabled ? ['ufw', '--force', 'enable'] : ['ufw', 'disable'] });
    }

    const after: UfwFact = { ...current, enabled, ...policies, rules, chains: predictChains(current.chains, current.ipv6, added, deleted) };
    if (changes.length > 0 && enabled) {
      const refusal = lockout(current, after, ctx);
      if (refusal) throw new PlanError(refusal);
    }

    const reload: RunStep[] = p.state === 'reloaded' && enabled ? [{ kind: 'run', argv: ['ufw', 'reload'] }] : [];
    if (changes.length === 0) return { changes: [], steps: reload, msg: reload.length ? 'reload' : undefined };
    return {
      changes,
      steps: [...adds, ...policySteps, ...deletes, ...stateSteps, ...reload],
      after: predictions(predict(ufwFact(), after)),
      msg: changes.map((c) => c.what).join(', '),
    };
  },
});
