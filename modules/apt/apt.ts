// apt: Debian packages installed, upgraded or removed in one apt-get call, the package lists
// refreshed when missing or old, fleet upgrades and autoremove. Facts from dpkg-query, apt-cache
// policy and apt-get -s; what cannot be known before the lists are updated is said so, never guessed.
import {
  aptListsFact, DPKG_STAMP_SH, EVERY_PACKAGE, EVERY_REFRESHED_LISTS, EVERY_SIMULATION, LISTS_STAMP_SH, packageFact, refreshedListsFact, simulateFact, UPDATE_STAMP,
  type AptListsFact, type RefreshedListsFact, type SimulateAction,
} from '../../engine/facts/apt.ts';
import { removalFact, type PlannedPackages } from '../../engine/facts/apt-planned.ts';
import type { SimulatedPackage } from '../../engine/facts/apt.ts';
import type { Static } from '@sinclair/typebox';
import type { Fact } from '../../engine/facts/types.ts';
import { defineModule, PrepareError } from '../../engine/module.ts';
import { Predictions } from '../../engine/plan/predict.ts';
import { printStamps } from '../../engine/plan/stamp-change.ts';
import { PlanError, type Change, type RunStep, type Step } from '../../engine/plan/types.ts';
import { Choice, OneOrMany, toList, Type } from '../../engine/schema.ts';

const PACKAGE = Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$', description: "a package name, optionally with an architecture ('libc6:i386')" });

const params = Type.Object(
  {
    name: Type.Optional(OneOrMany(PACKAGE, { description: 'Package name or list of names; all are handled in one apt-get call.' })),
    state: Type.Optional(
      Choice(['present', 'latest', 'absent'], {
        default: 'present',
        description: 'present: installed (any version); latest: installed at the candidate version of the lists; absent: not installed.',
      }),
    ),
    purge: Type.Optional(Type.Boolean({ description: 'With state absent (and autoremove): remove configuration files too; also purges a package removed earlier whose configuration files remain. Default false.' })),
    updateCache: Type.Optional(Type.Boolean({ description: 'Run apt-get update first. Alone, it is reported changed only when the lists actually changed; empty lists (a fresh image) are always a change. Default false.' })),
    cacheValidTime: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Update the lists only when they are older than this many seconds (implies updateCache). Empty lists count as stale.' }),
    ),
    upgrade: Type.Optional(Choice(['safe', 'full'], { description: 'Upgrade every installed package: safe is apt-get upgrade (nothing removed, nothing new), full is apt-get dist-upgrade.' })),
    autoremove: Type.Optional(Type.Boolean({ description: 'Remove packages installed as dependencies that nothing needs any more (apt-get autoremove). Default false.' })),
    lockTimeout: Type.Optional(
      Type.Integer({ minimum: 0, default: 300, description: 'Seconds to wait for the dpkg lock while another apt or dpkg runs (unattended-upgrades) before failing. Default 300.' }),
    ),
  },
  { additionalProperties: false },
);

const UNKNOWN_VERSION = '(version unknown until the lists are updated)';
// A package can change anything on a host (files, users, units, programs, firewall, crontabs): every
// fact read before is read again (in a dry run, the predictions of earlier tasks are kept).
const CHANGING_INVALIDATES = ['*'];

/** apt-get with no prompts, old config files kept, waiting for the dpkg lock. */
function aptGet(lockTimeout: number, args: string[]): string[] {
  return [
    'apt-get', '-y', '-q',
    '-o', `DPkg::Lock::Timeout=${lockTimeout}`,
    '-o', 'Dpkg::Options::=--force-confdef',
    '-o', 'Dpkg::Options::=--force-confold',
    ...args,
  ];
}
const ENV = { DEBIAN_FRONTEND: 'noninteractive' };

/** Runs argv between two readings of a stamp, so a step without an announced change can say whether it changed something. */
function measured(argv: string[], stamp: string, label: string): RunStep {
  const script = `b=$(${stamp}) || exit 1; "$@" || exit $?; ${printStamps(label, '"$b"', `"$(${stamp})"`)}`;
  return {
    kind: 'run',
    argv: ['sh', '-c', script, 'sh', ...argv],
    env: ENV,
    reportsChange: { stamp: label },
  };
}

/**
 * apt-get update between two readings of the lists stamp. apt's DPkg::Lock::Timeout does not cover
 * the lists lock (apt 2.6 fails at once when another update holds it): retry until lockTimeout.
 */
function updateStep(lockTimeout: number): RunStep {
  const script = [
    `b=$(${LISTS_STAMP_SH}) || exit 1`,
    't=$1; shift; deadline=$(( $(date +%s) + t ))',
    'while :; do',
    '  out=$("$@" 2>&1); rc=$?',
    `  printf '%s\n' "$out"`,
    '  [ "$rc" -eq 0 ] && break',
    `  case $out in *'Could not get lock'*) if [ "$(date +%s)" -lt "$deadline" ]; then sleep 2; continue; fi ;; esac`,
    '  exit "$rc"',
    'done',
    `mkdir -p ${dirOf(UPDATE_STAMP)} && touch ${UPDATE_STAMP} || exit 1`,
    printStamps('lists', '"$b"', `"$(${LISTS_STAMP_SH})"`),
  ].join('\n');
  return {
    kind: 'run',
    argv: ['sh', '-c', script, 'sh', String(lockTimeout), ...aptGet(lockTimeout, ['update'])],
    env: ENV,
    reportsChange: { stamp: 'lists' },
  };
}

type Update = 'none' | 'certain' | 'action';

/** The scratch refresh this task needs to foresee its own apt-get update (see refreshedListsFact). */
function refreshedFor(p: Static<typeof params>) {
  const actions: SimulateAction[] = [];
  if (p.upgrade) actions.push(upgradeAction(p.upgrade));
  if (p.autoremove) actions.push('autoremove');
  return refreshedListsFact({ cacheValidTime: p.updateCache ? undefined : p.cacheValidTime, names: p.state === 'absent' ? [] : toList(p.name), actions });
}

function updatePlan(p: { updateCache?: boolean; cacheValidTime?: number }, lists: AptListsFact): Update {
  if (!p.updateCache && p.cacheValidTime === undefined) return 'none';
  if (lists.empty) return 'certain';
  if (p.cacheValidTime !== undefined && lists.age !== null && lists.age < p.cacheValidTime) return 'none';
  return 'action';
}

export const apt = defineModule({
  name: 'apt',
  summary: 'Install, upgrade or remove Debian packages in one apt-get call; refresh the lists; upgrade the fleet.',
  doc: [
    'Packages are compared with dpkg-query (installed version) and apt-cache policy (candidate). All',
    'named packages go into one apt-get call, run with DEBIAN_FRONTEND=noninteractive, old config',
    'files kept (--force-confold), and waiting up to lockTimeout seconds for the dpkg lock when',
    'another apt runs. The diff shows versions before and after. On a fresh image the lists are',
    'empty: the install is still a certain change, but the version is shown as unknown until the',
    'lists are updated; installing without updateCache/cacheValidTime on empty lists is an error.',
    'A refresh of lists that exist is reported changed only when apt-get update fetched new lists.',
    'When this task refreshes lists that exist, it first foresees the refresh: apt-get update into a',
    'scratch copy of the lists (the host\'s own lists untouched), so the dry run says whether the',
    'lists change and which versions upgrade and latest bring. upgrade and autoremove are predicted',
    'by apt-get -s; after named packages change in the same task, they run and report whether dpkg',
    'changed. A package\'s maintainer scripts may ask for a reboot: a dry run cannot know (see reboot).',
    '',
    "  apt({ name: ['nginx', 'fail2ban'], cacheValidTime: 3600 })",
    "  apt({ name: 'telnet', state: 'absent', purge: true })",
    "  apt({ updateCache: true, upgrade: 'safe', autoremove: true })   // fleet patching",
  ].join('\n'),
  params,
  prepare(p) {
    if (p.name === undefined && !p.updateCache && p.cacheValidTime === undefined && !p.upgrade && !p.autoremove) {
      throw new PrepareError('nothing to do: give name, updateCache, cacheValidTime, upgrade or autoremove', 'name');
    }
  },
  facts(p) {
    const facts: Fact[] = [aptListsFact, ...toList(p.name).map(packageFact)];
    if (p.state === 'absent' && p.name !== undefined) facts.push(removalFact(toList(p.name), Boolean(p.purge)));
    if (p.upgrade) facts.push(simulateFact(upgradeAction(p.upgrade)));
    if (p.autoremove) facts.push(simulateFact('autoremove'));
    if (p.updateCache || p.cacheValidTime !== undefined) facts.push(refreshedFor(p));
    return facts;
  },
  plan(p, { facts, packages: soFar }) {
    const lockTimeout = p.lockTimeout ?? 300;
    const state = p.state ?? 'present';
    const lists = facts.get(aptListsFact);
    const update = updatePlan(p, lists);
    const listsCurrent = update === 'none' && !lists.empty && lists.stamp !== null;
    // The lists as this task's own update will leave them, when the scratch refresh could tell.
    const refreshed: RefreshedListsFact | undefined = update === 'action' ? facts.get(refreshedFor(p)) : undefined;
    const foreseen = refreshed?.status === 'refreshed' ? refreshed : undefined;
    const changes: Change[] = [];
    const steps: Step[] = [];
    const after = new Predictions();
    let invalidates: string[] = [];
    let msg: string | undefined;

    if (update !== 'none') {
      if (update === 'certain') changes.push({ what: 'apt lists', before: '(empty)', after: '(updated)' });
      else if (foreseen && foreseen.stamp !== lists.stamp) changes.push({ what: 'apt lists', before: behind(foreseen.fetched), after: '(updated)' });
      else if (!foreseen) msg = `what the lists refresh brings is unknown until it runs (${refreshed?.error ?? 'the scratch refresh did not run'})`;
      steps.push(updateStep(lockTimeout));
      after.set(aptListsFact, { empty: false, age: 0, stamp: foreseen?.stamp ?? null });
      invalidates = [EVERY_PACKAGE, EVERY_SIMULATION, EVERY_REFRESHED_LISTS];
    }
    const listsAfter = update !== 'none' ? 'updated' : lists.empty ? 'empty' : 'present';

    // Named packages.
    const pkgs = toList(p.name).map((n) => facts.get(packageFact(n)));
    const certain: string[] = [];
    const uncertain: string[] = [];
    const removals: string[] = [];
    for (const found of pkgs) {
      const pkg = foreseen ? { ...found, candidate: foreseen.candidates[found.name] ?? null } : found;
      const known = foreseen ? found.name in foreseen.candidates : listsCurrent && pkg.stamp === lists.stamp;
      if (state === 'absent') {
        // A dry run after a command (an apt-mark unhold, say) cannot know the hold is still there.
        const holds = pkg.held && !facts.uncertain?.(packageFact(pkg.name));
        if (pkg.installed && holds) throw new PlanError(held(pkg.name, 'remove it'));
        if (pkg.installed || (p.purge && pkg.configFiles)) {
          removals.push(pkg.name);
          changes.push({ what: `package ${pkg.name}`, before: pkg.version ?? '(config files only)', after: p.purge ? '(purged)' : '(removed)' });
          after.set(packageFact(pkg.name), { ...pkg, installed: false, configFiles: !p.purge && pkg.installed, version: null });
        }
        continue;
      }
      if (!pkg.installed) {
        if (listsAfter === 'empty') {
          throw new PlanError(`the package lists on this host are empty (a fresh image): cannot install ${pkg.name} without updateCache: true or cacheValidTime on this task or an earlier one`);
        }
        if (known && pkg.candidate === null) throw new PlanError(`package ${pkg.name} is not in the package lists (no installation candidate)`);
        certain.push(pkg.name);
        changes.push({ what: `package ${pkg.name}`, before: pkg.configFiles ? '(config files only)' : '(absent)', after: known ? pkg.candidate : UNKNOWN_VERSION });
        after.set(packageFact(pkg.name), { ...pkg, installed: true, configFiles: false, version: known ? pkg.candidate : null });
      } else if (state === 'latest') {
        if (!known) {
          // After a refresh the candidate may be newer: apt-get decides, and says whether dpkg changed.
          uncertain.push(pkg.name);
          after.set(packageFact(pkg.name), { ...pkg, version: null, stamp: null });
        } else if (pkg.candidate !== null && pkg.candidate !== pkg.version) {
          if (pkg.held && !facts.uncertain?.(packageFact(pkg.name))) throw new PlanError(held(pkg.name, `upgrade it from ${pkg.version} to ${pkg.candidate}`));
          certain.push(pkg.name);
          changes.push({ what: `package ${pkg.name}`, before: pkg.version, after: pkg.candidate });
          after.set(packageFact(pkg.name), { ...pkg, version: pkg.candidate });
        }
      }
    }
    const installs = [...certain, ...uncertain];
    if (installs.length > 0) {
      // -- before the names: the schema already refuses a leading dash, apt-get reads none after it either.
      const argv = aptGet(lockTimeout, ['install', '--', ...installs]);
      steps.push(certain.length > 0 ? { kind: 'run', argv, env: ENV } : measured(argv, DPKG_STAMP_SH, 'dpkg'));
    }
    // What the removals leave for autoremove, from apt-get -s remove --autoremove: removed in this
    // task with autoremove (and reported), else left for a later autoremove task to count.
    const planned = soFar.planned();
    const removing = removals.length > 0 ? facts.get(removalFact(toList(p.name), Boolean(p.purge))) : null;
    const leftOver = (removing ?? []).filter((x) => x.action === 'remove' && !removals.includes(x.name));
    const autoremoveHere = Boolean(p.autoremove) && removing !== null;
    if (autoremoveHere) {
      for (const x of leftOver) changes.push({ what: `package ${x.name}`, before: x.before ?? '(absent)', after: p.purge ? '(purged)' : '(removed)' });
    }
    if (removals.length > 0) steps.push({ kind: 'run', argv: aptGet(lockTimeout, [p.purge ? 'purge' : 'remove', ...(autoremoveHere ? ['--autoremove'] : []), '--', ...removals]), env: ENV });
    const packagesChange = installs.length > 0 || removals.length > 0;
    const newlyInstalled = certain.filter((n) => !pkgs.find((x) => x.name === n)!.installed);
    const touched: string[] = [...installs, ...removals, ...(autoremoveHere ? leftOver.map((x) => x.name) : [])];
    const versions: Record<string, string | null> = Object.fromEntries([
      ...certain.map((n) => [n, after.get(packageFact(n))!.version] as const),
      ...removals.map((n) => [n, null] as const),
      ...(autoremoveHere ? leftOver.map((x) => [x.name, null] as const) : []),
    ]);

    // Fleet upgrade and autoremove: exact from apt-get -s (on the foreseen lists after a refresh)
    // when nothing before them in this task moves the ground.
    let moving = packagesChange || (update !== 'none' && !foreseen);
    for (const [action, on] of [[p.upgrade ? upgradeAction(p.upgrade) : undefined, Boolean(p.upgrade)], ['autoremove', Boolean(p.autoremove) && !autoremoveHere]] as const) {
      if (!on || action === undefined) continue;
      const args = action === 'autoremove' && p.purge ? ['autoremove', '--purge'] : [action];
      if (moving) {
        steps.push(measured(aptGet(lockTimeout, args), DPKG_STAMP_SH, 'dpkg'));
        touched.push(`(${action})`);
        continue;
      }
      const simulated = afterEarlierTasks(action, foreseen ? (foreseen.simulated[action] ?? []) : facts.get(simulateFact(action)), planned);
      if (simulated.length === 0) continue;
      for (const x of simulated) versions[x.name] = x.action === 'remove' ? null : x.after;
      touched.push(...simulated.map((x) => x.name));
      for (const s of simulated) {
        changes.push({ what: `package ${s.name}`, before: s.before ?? '(absent)', after: s.after ?? (action === 'autoremove' && p.purge ? '(purged)' : '(removed)') });
      }
      steps.push({ kind: 'run', argv: aptGet(lockTimeout, args), env: ENV });
      moving = true;
    }

    if (steps.length === 0) return { changes: [], steps: [] };
    const touchesPackages = steps.length > (update !== 'none' ? 1 : 0);
    if (touchesPackages) invalidates = CHANGING_INVALIDATES;
    // Installing leaves the lists as they were: a later task reads them as this one did (in a real
    // run too, so that it says about versions what the dry run, which keeps predictions, says).
    if (touchesPackages && update === 'none') after.set(aptListsFact, lists);
    // For a dry run's later apt tasks, whose apt-get -s is read from the host as it is: what they must add or leave out.
    const leaves = autoremoveHere ? [] : leftOver;
    const packages = touched.length > 0 ? { packages: { install: installs, installsNew: newlyInstalled, touches: touched, update: update !== 'none', versions, leaves } } : {};
    return { changes, steps, after: after.record(), invalidates, ...packages, ...(msg ? { msg } : {}) };
  },
});

/**
 * apt-get -y refuses to change a held package ("Held packages were changed and -y was used without
 * --allow-change-held-packages"): said in the plan, so the dry run fails as the real run would.
 */
function held(name: string, what: string): string {
  return `package ${name} is held (apt-mark hold): apt-get will not ${what}; release it first (apt-mark unhold ${name}, in a command task before this one) or leave it out`;
}

/** apt-get -s read from the host, without what earlier tasks of this run already do (an upgrade made, a package removed) and with what their removals leave for autoremove. */
function afterEarlierTasks(action: SimulateAction, simulated: SimulatedPackage[], planned: PlannedPackages): SimulatedPackage[] {
  const done = (x: SimulatedPackage) => planned.versions[x.name] !== undefined && planned.versions[x.name] === (x.action === 'remove' ? null : x.after);
  const own = simulated.filter((x) => !done(x));
  if (action !== 'autoremove') return own;
  return [...own, ...planned.autoremovable.filter((a) => !own.some((x) => x.name === a.name))];
}

function upgradeAction(upgrade: 'safe' | 'full'): SimulateAction {
  return upgrade === 'full' ? 'dist-upgrade' : 'upgrade';
}

/** The lists before a refresh that fetches: how far behind the mirror (not their age: a dry run and the run after it must say the same). */
function behind(fetched: number | undefined): string {
  if (fetched === undefined) return '(behind the mirror)';
  if (fetched === 0) return '(holding an index the mirror no longer has)';
  return `(${fetched} ${fetched === 1 ? 'index' : 'indices'} behind the mirror)`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
