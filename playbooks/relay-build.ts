// The build machine's part of the relay guide, shared by relay.ts (first install) and upgrade.ts
// (a new version): the guide's build dependencies, the simplexmq checkout at simplexVersion, and
// the build, run once per commit.
import { task, type Task } from '../engine/playbook/define.ts';
import { quote, shellJoin } from '../engine/quote.ts';
import { apt, git, shell } from '../modules/index.ts';
import type { HostContext } from '../engine/module.ts';
import { relaySettings, setting, type RelaySettings } from './relay-settings.ts';

const s = (ctx: HostContext): RelaySettings => relaySettings(ctx);
/** The guide's mode with binaries from the build machine (not prebuilt ones from a URL). */
export const fromBuild = (ctx: HostContext) => s(ctx).mode === 'guide' && s(ctx).binarySource === 'build';
/**
 * This host is the build machine. The build plays select 'all:!relays' rather than 'build' because
 * an upstream-mode inventory has no build machine, and a play pattern naming a host the inventory
 * lacks is an input error; this narrows them to the buildHost setting.
 */
export const isBuildMachine = (ctx: HostContext) => fromBuild(ctx) && ctx.host === s(ctx).buildHost;

/** The marker the build leaves for the commit it built: a new commit means a new build. */
const builtMarker = (ctx: HostContext) => `${s(ctx).buildDir}/target/.shipshape-built-${String(ctx.registered.source?.output.after ?? 'unknown')}`;

/** The tasks of the play on the build host (the play's hosts: 'all:!relays', become). */
export function buildTasks(): Task[] {
  return [
    task('build dependencies', apt({ name: setting((c) => c.buildPackages), cacheValidTime: 3600 }), { when: isBuildMachine }),
    task('simplexmq source', git({ repo: setting((c) => c.simplexRepo), dest: setting((c) => c.buildDir), version: setting((c) => c.simplexVersion) }), { when: isBuildMachine, register: 'source' }),
    task('build smp-server and xfp-server', shell({
      // Runs once per commit: the marker names the commit it built.
      cmd: (ctx) => `${shellJoin(s(ctx).buildCommand)} && touch ${quote(builtMarker(ctx))}`,
      chdir: setting((c) => c.buildDir),
      creates: builtMarker,
      produces: setting((c) => [`${c.buildDir}/${c.smpArtifact}`, `${c.buildDir}/${c.xfpArtifact}`]),
    }), { when: isBuildMachine }),
  ];
}
