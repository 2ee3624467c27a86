// `npm run demo`: the main job on the lab, as a newcomer would watch it. Brings up three relays,
// shows the dry run of playbooks/relay.ts in upstream mode (inventory/lab-upstream.ts: simplexmq's
// release binaries, here the lab's stand-ins, pinned by sha256, each server initialised once) with
// its diffs, applies it, and ends with the recap and each relay's addresses to paste into SimpleX.
// Run it again: the dry run then says there is nothing to do, and that init will not run again.
// Root only (the lab needs it). The guide's mode on the lab: inventory/lab.ts (with a build host).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { labStatus, labUp, publishReleases } from './index.ts';
import { REPO_ROOT } from './paths.ts';

const HOSTS = ['relay1', 'relay2', 'relay3'];
const say = (text: string) => process.stdout.write(`\n\x1b[1m==> ${text}\x1b[0m\n`);

if (process.getuid?.() !== 0) {
  process.stderr.write('npm run demo needs root: the lab runs real Debian 12 hosts in network namespaces.\n');
  process.exit(1);
}

say('Bringing up the lab: three relays (Debian 12, systemd, sshd)');
const status = await labStatus().catch(() => undefined);
const running = new Set((status?.hosts ?? []).filter((h) => h.running && h.ssh).map((h) => h.name));
if (!HOSTS.every((h) => running.has(h))) {
  await labUp({ hosts: HOSTS, groups: { relays: HOSTS }, log: (m) => process.stdout.write(`    ${m}\n`) });
}
// The lab's HTTP server carries stand-ins for simplexmq's release binaries and their release texts.
process.stdout.write(`    stand-in simplexmq releases: ${publishReleases().join(', ')}\n`);

const engine = (args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'engine', 'cli.mjs'), ...args], { cwd: REPO_ROOT, stdio: 'inherit' }).status;

const playbook = ['playbooks/relay.ts', '-i', 'inventory/lab-upstream.ts'];
say('Dry run: what playbooks/relay.ts would change, with diffs (nothing is touched)');
const dry = engine(['run', ...playbook, '--check', '--diff']);
if (dry !== 0) process.exit(dry ?? 1);

say('Applying playbooks/relay.ts');
const real = engine(['run', ...playbook]);
if (real !== 0) process.exit(real ?? 1);

say('Done. Check for drift at any time (exit 0 = converged, 2 = changes pending):');
process.stdout.write('    npx tsx engine check playbooks/relay.ts -i inventory/lab-upstream.ts\n    npm run lab -- down     # when finished\n');
