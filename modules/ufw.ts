// ufw: default policies, rules and the enabled state of the host firewall. The current state comes
// from ufw's own files (engine/facts/ufw.ts), compared as rule tuples; changes are ufw CLI calls.
// One task can hold a whole firewall (default + rules + state) or a single rule (the top-level
// rule fields); the predicted state lets a later ufw task see the rules of an earlier one.
// The lockout guard refuses a plan that would leave the firewall enabled with incoming traffic
// denied while the SSH port the engine is connected through is not allowed.
import { aptInstallsFact } from '../engine/facts/apt.ts';
import { normalAddress, placeKey, ruleKey, ufwFact, UFW_KEY, type UfwFact, type UfwPolicy, type UfwRule } from '../engine/facts/ufw.ts';
import { defineModule, PrepareError } from '../engine/module.ts';
import { PlanError, type Change, type Plan, type RunStep } from '../engine/plan/types.ts';
import { Choice, Type } from '../engine/schema.ts';

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

/** Whether the rules let TCP traffic to this port in. */
export function allowsPort(rules: readonly UfwRule[], port: number): boolean {
  return rules.some((r) => r.direction === 'in' && (r.action === 'allow' || r.action === 'limit') && (r.proto === 'tcp' || r.proto === 'any') && portIncludes(r.port, port));
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
    'Lockout guard: a plan that leaves ufw enabled with incoming traffic denied or rejected fails',
    'when no rule allows the SSH port the engine is connected through (an OpenSSH app rule counts',
    'for port 22). Source, destination and interface limits of that rule are trusted to include the',
    'controller. A task that changes nothing is never refused. limit refuses a source after 6 new',
    'connections in 30 s, the engine\'s own included (one per host and run). ufw must be installed.',
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
  facts: () => [ufwFact(), aptInstallsFact],
  plan(p, ctx): Plan {
    let current = ctx.facts.get(ufwFact());
    if (!current.installed) {
      // An earlier apt task of this run installs ufw (a dry run cannot see it yet): plan against the
      // state Debian's package ships (disabled, no rules, incoming and routed DROP, outgoing ACCEPT).
      if (!ctx.facts.get(aptInstallsFact).includes('ufw')) throw new PlanError('ufw is not installed on this host (install the ufw package first)');
      current = { ...current, installed: true, enabled: false, incoming: 'deny', outgoing: 'allow', routed: 'deny', rules: [], other: [] };
    }
    const changes: Change[] = [];
    const adds: RunStep[] = [];
    const deletes: RunStep[] = [];
    const policySteps: RunStep[] = [];
    let rules = [...current.rules];

    for (const spec of specsOf(p)) {
      const want = normalize(spec);
      const existing = rules.find((r) => ruleKey(r) === ruleKey(want));
      if (spec.delete) {
        if (!existing) continue;
        changes.push({ what: `rule ${describeRule({ ...want, comment: undefined })}`, before: 'present', after: 'absent' });
        deletes.push({ kind: 'run', argv: ruleArgv(spec, true) });
        rules = rules.filter((r) => r !== existing);
        continue;
      }
      if (existing && (want.comment === undefined || existing.comment === want.comment)) continue;
      const samePlace = rules.find((r) => placeKey(r) === placeKey(want));
      changes.push({ what: `rule ${describeRule({ ...want, comment: undefined })}`, before: samePlace ? describeRule(samePlace) : 'absent', after: describeRule(want) });
      adds.push({ kind: 'run', argv: ruleArgv(spec) });
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

    if (changes.length > 0 && enabled && (policies.incoming === 'deny' || policies.incoming === 'reject') && !allowsPort(rules, ctx.sshPort)) {
      throw new PlanError(
        `refusing to leave ufw enabled with incoming traffic ${policies.incoming === 'deny' ? 'denied' : 'rejected'} while no rule allows port ${ctx.sshPort}/tcp, ` +
          `the SSH port the engine is connected to ${ctx.host} through: it would lock the engine (and you) out. ` +
          `Add a rule such as { rule: 'allow', port: ${ctx.sshPort}, proto: 'tcp' }${ctx.sshPort === 22 ? " or { rule: 'limit', app: 'OpenSSH' }" : ''} to this task or an earlier one.`,
      );
    }

    const reload: RunStep[] = p.state === 'reloaded' && enabled ? [{ kind: 'run', argv: ['ufw', 'reload'], reportsChange: () => false }] : [];
    if (changes.length === 0) return { changes: [], steps: reload, msg: reload.length ? 'reload' : undefined };
    const after: UfwFact = { ...current, enabled, ...policies, rules };
    return {
      changes,
      steps: [...adds, ...policySteps, ...deletes, ...stateSteps, ...reload],
      after: { [UFW_KEY]: after },
      msg: changes.map((c) => c.what).join(', '),
    };
  },
});
