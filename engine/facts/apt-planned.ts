// What earlier apt tasks of a dry run will have done to the packages, for later apt tasks whose
// own facts (apt-get -s upgrade, autoremove) are read from the host as it still is: which versions
// they install or remove (an upgrade not counted twice) and what their removals leave for an
// autoremove (libpsl5 once wget is gone). Never read from the host (a real run reads apt-get -s
// again after each change): the engine keeps it from the tasks' PackageEffect (package-effects.ts).
// And what a removal would take with it, from apt-get -s itself.
import { quote } from '../quote.ts';
import { aptWithoutHooks, parseSimulation, SIMULATION, type SimulatedPackage } from './apt.ts';
import { defineFact, type Fact } from './types.ts';

export interface PlannedPackages {
  /** Package -> the version an earlier task leaves installed; null: removed. */
  versions: Record<string, string | null>;
  /** Packages an earlier task's removals leave for autoremove, as apt-get -s says it would remove them. */
  autoremovable: SimulatedPackage[];
}

/**
 * `apt-get -s remove --autoremove NAMES` (purge with purge): the named packages and every package
 * apt would autoremove once they are gone. null when apt refuses (an unknown name): the plan then
 * falls back to the names alone.
 */
export function removalFact(names: string[], purge: boolean): Fact<SimulatedPackage[] | null> {
  const verb = purge ? 'purge' : 'remove';
  const script = `${aptWithoutHooks('apt-get', `-s -q -o Debug::NoLocking=1 ${verb} --autoremove -- ${names.map(quote).join(' ')}`)} 2>/dev/null`;
  return defineFact<SimulatedPackage[] | null>(`${SIMULATION}${verb}:${names.join(',')}`, script, (out, code) => (code === 0 ? parseSimulation(out) : null));
}

/** Merged: what this task leaves on top of what earlier ones did. */
export function plannedAfter(before: PlannedPackages, versions: Record<string, string | null>, autoremovable: SimulatedPackage[]): PlannedPackages {
  const gone = new Set(Object.entries({ ...before.versions, ...versions }).filter(([, v]) => v === null).map(([n]) => n));
  const merged = [...before.autoremovable, ...autoremovable.filter((a) => !before.autoremovable.some((b) => b.name === a.name))];
  return { versions: { ...before.versions, ...versions }, autoremovable: merged.filter((a) => !gone.has(a.name) && versions[a.name] === undefined) };
}
