// The build machine's part of the relay guide, shared by relay.ts (first install) and upgrade.ts
// (a new version): the guide's build dependencies, the simplexmq checkout at simplexVersion, and
// the build, run once per commit.
import { task, type Task } from '../engine/playbook/define.ts';
import { quote, shellJoin } from '../engine/quote.ts';
import { apt, git, shell } from '../modules/index.ts';
import type { HostContext } from '../engine/module.ts';
import { relaySettings, setting, type RelaySettings } from './relay-settings.ts';

const s = (ctx: HostContext): RelaySettings => relaySettings(ctx);
export const fromBuild = (ctx: HostContext) => s(ctx).binarySource === 'build';

/** The marker the build leaves for the commit it built: a new commit means a new build. */
const builtMarker = (ctx: HostContext) => `${s(ctx).buildDir}/target/.shipshape-built-${String(ctx.registered.source?.output.after ?? 'unknown')}`;

/** The tasks of the play on the build host (the play's hosts: 'build', become). */
export function buildTasks(): Task[] {
  return [
    task('build dependencies', apt({ name: setting((c) => c.buildPackages), cacheValidTime: 3600 }), { when: fromBuild }),
    task('simplexmq source', git({ repo: setting((c) => c.simplexRepo), dest: setting((c) => c.buildDir), version: setting((c) => c.simplexVersion) }), { when: fromBuild, register: 'source' }),
    task('build smp-server and xfp-server', shell({
      // Runs once per commit: the marker names the commit it built.
      cmd: (ctx) => `${shellJoin(s(ctx).buildCommand)} && touch ${quote(builtMarker(ctx))}`,
      chdir: setting((c) => c.buildDir),
      creates: builtMarker,
      produces: setting((c) => [`${c.buildDir}/${c.smpArtifact}`, `${c.buildDir}/${c.xfpArtifact}`]),
    }), { when: fromBuild }),
  ];
}
