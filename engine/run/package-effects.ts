// What an apt task's PackageEffect leaves for later tasks on its host: the packages it installs
// (a user or unit they bring cannot be on a fresh host yet), every package it changes and the
// versions it leaves (dry run only: a reboot-if-asked task cannot know what their scripts ask, a
// later apt task's apt-get -s reads the host as it still is), all kept by the engine and given to
// later plans as PlanContext.packages; and in a dry run the preview of what they ship
// (engine/packages/), through which every fact read afterwards passes (see overlayFacts).
import { plannedAfter, type PlannedPackages } from '../facts/apt-planned.ts';
import type { FactStore } from '../facts/store.ts';
import type { PackagesSoFar } from '../module.ts';
import { overlay } from '../packages/overlay.ts';
import { packagePreviewFact, type PreviewedPackage, type PreviewQuery } from '../packages/preview.ts';
import { gatherFacts } from './gather-facts.ts';
import type { HostLink } from './host-link.ts';
import type { PackageEffect } from '../plan/types.ts';

/** The packages channel as the engine keeps it per host (the plans' PackagesSoFar, as data). */
export interface PackagesKept {
  installs: readonly string[];
  changes: readonly string[];
  planned: PlannedPackages;
  /** Dry run: why `planned` cannot be known (an apt task that changed it was unknown). */
  plannedDoubt?: string;
}

export const NO_PACKAGES: PackagesKept = Object.freeze({ installs: [], changes: [], planned: { versions: {}, autoremovable: [] } });

/** The channel as a plan reads it; the doubt of `planned`, when read, goes into `doubts`. */
export function packagesView(kept: PackagesKept, doubts: Set<string>): PackagesSoFar {
  return {
    installs: kept.installs,
    changes: kept.changes,
    planned: () => {
      if (kept.plannedDoubt !== undefined) doubts.add(kept.plannedDoubt);
      return kept.planned;
    },
  };
}

/** The packages this task's effect adds to what earlier tasks install or change; `doubt`: its outcome is unknown (dry run). */
export function withPackageEffect(so: PackagesKept, effect: PackageEffect, check: boolean, doubt?: string): PackagesKept {
  const next: PackagesKept = {
    ...so,
    installs: [...so.installs, ...effect.installsNew],
    // A real run reads the host again after the install: nothing to guess there.
    changes: check ? [...so.changes, ...effect.touches] : [],
  };
  const versions = effect.versions ?? {};
  const leaves = effect.leaves ?? [];
  // A real run reads apt-get -s again after each change; a task that leaves no version keeps what was planned, and its doubt.
  if (!check || (Object.keys(versions).length === 0 && leaves.length === 0)) return next;
  const { plannedDoubt: _, ...sure } = next;
  return { ...sure, planned: plannedAfter(so.planned, versions, leaves), ...(doubt !== undefined ? { plannedDoubt: doubt } : {}) };
}

/** Facts just read from the host, as they will be once the previewed packages are installed (dry run). */
export function overlayFacts(store: FactStore, values: Iterable<[string, unknown]>, previews: readonly PreviewedPackage[]): void {
  for (const [key, value] of values) {
    store.set(key, value);
    const over = overlay(previews, key, value);
    if (over) store.predict(key, over.value, over.doubt === undefined ? {} : { doubt: over.doubt });
  }
}

/** What a preview tells the user; `detail`: only with -v (and in the log). */
export interface PreviewMessage {
  text: string;
  detail?: true;
}

/**
 * Dry run: previews the packages of q on the host (one exec) and adds them to `previews`. Returns
 * what to tell the user (a preview that failed, packages too large to fetch, and as a detail the
 * packages read from verified copies in apt's cache); throws when the host cannot be reached.
 */
export async function previewInto(previews: PreviewedPackage[], link: HostLink, q: PreviewQuery, become: boolean, timeoutMs: number): Promise<PreviewMessage[]> {
  const fact = packagePreviewFact(q);
  const value = (await gatherFacts(link, [fact], become, timeoutMs)).get(fact.key) as ReturnType<typeof fact.parse>;
  const messages: PreviewMessage[] = [];
  if (value.status === 'previewed') previews.push(...value.packages);
  else messages.push({ text: `what ${q.names.join(', ')} would put on the host is unknown: ${value.error ?? 'the package preview failed'}` });
  if (value.skipped) messages.push({ text: `not previewed (too large to fetch for a dry run): ${value.skipped.join(', ')}; what they ship is not predicted` });
  const cached = value.packages.filter((p) => p.fromCache);
  if (cached.length > 0) messages.push({ text: `package preview: ${cached.map((p) => `${p.name}=${p.version}`).join(', ')} read from apt's cache (verified copies), not downloaded`, detail: true });
  return messages;
}
