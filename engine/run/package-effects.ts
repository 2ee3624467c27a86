// What an apt task's PackageEffect leaves for later tasks on its host: the packages it installs
// (a user or unit they bring cannot be on a fresh host yet), every package it changes (dry run
// only: a reboot-if-asked task cannot know what their scripts ask), both kept by the engine and
// given to later plans as PlanContext.packages; and in a dry run the preview of what they ship
// (engine/packages/), through which every fact read afterwards passes (see overlayFacts).
import type { FactStore } from '../facts/store.ts';
import type { PackagesSoFar } from '../module.ts';
import { overlay } from '../packages/overlay.ts';
import { packagePreviewFact, type PreviewedPackage, type PreviewQuery } from '../packages/preview.ts';
import { gatherFacts } from './gather-facts.ts';
import type { HostLink } from './host-link.ts';
import type { PackageEffect } from '../plan/types.ts';

/** The packages this task's effect adds to what earlier tasks install or change. */
export function withPackageEffect(so: PackagesSoFar, effect: PackageEffect, check: boolean): PackagesSoFar {
  return {
    installs: [...so.installs, ...effect.installsNew],
    // A real run reads the host again after the install: nothing to guess there.
    changes: check ? [...so.changes, ...effect.touches] : [],
  };
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
