// upgrade.ts on a fleet at v1 (lab hosts node5..node8, see upgrade-fleet.ts): v1 -> v2 rolls out
// relay by relay and a second run changes nothing; v2 -> v3 (a server that exits at start) stops
// after the first relay, which is back on v2, and the others never left v2. A background prober
// checks from the bridge side that at any moment at most one relay is not answering, the one of the
// current batch.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engine, pairs } from '../integration/engine-cli.ts';
import { batchWindows, fleetAtV1, fleetVersions, INVENTORY, onVersion, RELAYS, startProber, sudo, type Round } from './upgrade-fleet.ts';

const PLAYBOOK = 'playbooks/upgrade.ts';
const ROLL = 'roll the new version across the relays';
const SWAP = 'swap in, start, probe the version (roll back on failure)';

/** Every round saw at most one relay down, and it was the one whose batch ran then. */
function assertOneDownAtATime(rounds: Round[], windows: ReturnType<typeof batchWindows>): void {
  assert.ok(rounds.length > 20, `the prober ran throughout (${rounds.length} rounds)`);
  for (const r of rounds) {
    assert.ok(r.down.length <= 1, `at ${new Date(r.t).toISOString()} ${r.down.join(', ')} were down: ${JSON.stringify(r.answers)}`);
    if (r.down.length === 0) continue;
    const w = windows.find((x) => r.t >= x.start - 50 && r.t <= x.end + 50);
    assert.ok(w, `${r.down[0]} was down at ${new Date(r.t).toISOString()}, outside any batch: ${JSON.stringify(r.answers)}`);
    assert.deepEqual(w.hosts, [r.down[0]], `${r.down[0]} was down during the batch of ${w.hosts.join(', ')}`);
  }
}

describe('upgrade.ts: a rolling upgrade with a health check and rollback', { timeout: 3_600_000 }, () => {
  before(fleetAtV1);

  test('v1 -> v2: the dry run says what it cannot know yet; the rollout goes relay by relay; again changes nothing', async () => {
    const dry = await engine(['run', PLAYBOOK, '-i', INVENTORY, '-e', 'simplexVersion=v2', '--check', '--json']);
    assert.equal(dry.code, 0, dry.stdout.slice(-3000) + dry.stderr);
    const dryChanged = pairs(dry, 'changed');
    for (const relay of RELAYS) assert.ok(dryChanged.includes(`${relay} ${SWAP}`), `${relay} would swap: ${dryChanged.join('; ')}`);
    const swap = dry.events.find((e) => e.type === 'task.result' && e.task === SWAP && e.host === 'relay1');
    assert.deepEqual(swap?.changes.map((c: any) => c.after), ['(version known once built)', '(version known once built)'], 'the dry run does not claim a checksum it cannot know');
    assert.deepEqual(await fleetVersions(), { relay1: onVersion('1.0.0'), relay2: onVersion('1.0.0'), relay3: onVersion('1.0.0') }, 'a dry run changes nothing');

    const prober = startProber();
    const real = await engine(['run', PLAYBOOK, '-i', INVENTORY, '-e', 'simplexVersion=v2', '--json']);
    const rounds = await prober.stop();
    assert.equal(real.code, 0, real.stdout.slice(-3000) + real.stderr);
    assert.deepEqual(pairs(real, 'changed'), dryChanged, 'the dry run listed what the real run changed');
    const windows = batchWindows(real.events, ROLL);
    assert.deepEqual(windows.map((w) => w.hosts), [['relay1'], ['relay2'], ['relay3']], 'one relay at a time, in order');
    assertOneDownAtATime(rounds, windows);
    // Each relay moved from 1.0.0 to 2.0.0 within its own batch.
    for (const [i, relay] of RELAYS.entries()) {
      const before = rounds.filter((r) => r.t < windows[i]!.start);
      const after = rounds.filter((r) => r.t > windows[i]!.end);
      assert.ok(before.length > 0 && before.every((r) => r.answers[relay].every((a) => a.includes(' 1.0.0 '))), `${relay} on v1 before its batch`);
      if (after.length > 0) assert.ok(after.every((r) => r.answers[relay].every((a) => a.includes(' 2.0.0 '))), `${relay} on v2 after its batch`);
    }
    assert.deepEqual(await fleetVersions(), { relay1: onVersion('2.0.0'), relay2: onVersion('2.0.0'), relay3: onVersion('2.0.0') });
    for (const relay of RELAYS) {
      const prev = await sudo(relay, '/usr/local/bin/smp-server.prev --version; /usr/local/bin/xfp-server.prev --version');
      assert.equal(prev.stdout.trim(), 'smp-server 1.0.0\nxfp-server 1.0.0', `${relay} keeps the previous binaries`);
    }

    const again = await engine(['run', PLAYBOOK, '-i', INVENTORY, '-e', 'simplexVersion=v2', '--json']);
    assert.equal(again.code, 0, again.stdout.slice(-3000) + again.stderr);
    assert.deepEqual(pairs(again, 'changed'), [], 'the same version again changes nothing');
    assert.deepEqual(pairs(again, 'ok').filter((p) => p.endsWith(SWAP)), RELAYS.map((r) => `${r} ${SWAP}`), 'each relay is still probed');
  });

  test('v2 -> v3: the first relay fails its health check, is rolled back to v2, and the rollout stops', async () => {
    const sums = async (relay: (typeof RELAYS)[number]) => (await sudo(relay, 'sha256sum /usr/local/bin/smp-server /usr/local/bin/xfp-server; ls /usr/local/bin')).stdout;
    const beforeSums = { relay2: await sums('relay2'), relay3: await sums('relay3') };
    const prober = startProber();
    const real = await engine(['run', PLAYBOOK, '-i', INVENTORY, '-e', 'simplexVersion=v3', '--json']);
    const rounds = await prober.stop();
    assert.equal(real.code, 3, `a failed rollout exits 3\n${real.stdout.slice(-3000)}${real.stderr}`);
    const failed = real.events.filter((e) => e.type === 'task.result' && e.status === 'failed');
    assert.deepEqual(failed.map((e) => `${e.host} ${e.task}`), [`relay1 ${SWAP}`]);
    assert.match(failed[0].msg, /health check failed .*rolled back to the previous binaries, which answer/);
    assert.match(failed[0].msg, /expected smp-server 3\.0\.0/);
    const windows = batchWindows(real.events, ROLL);
    assert.deepEqual(windows.map((w) => w.hosts), [['relay1']], 'no batch after the failed one');
    assert.match(real.events.find((e) => e.type === 'play.end' && e.play === ROLL)?.stopped ?? '', /rollout stops/);
    assert.ok(!real.events.some((e) => e.type === 'task.result' && (e.host === 'relay2' || e.host === 'relay3')), 'relay2 and relay3 were not touched');
    assertOneDownAtATime(rounds, windows);
    assert.ok(rounds.some((r) => r.down.includes('relay1')), 'relay1 was down while v3 was tried');
    for (const relay of ['relay2', 'relay3'] as const) {
      assert.ok(rounds.every((r) => r.answers[relay].every((a) => a.includes(' 2.0.0 '))), `${relay} answered v2 throughout`);
      assert.equal(await sums(relay), beforeSums[relay], `${relay}'s binaries never changed`);
    }
    assert.deepEqual(await fleetVersions(), { relay1: onVersion('2.0.0'), relay2: onVersion('2.0.0'), relay3: onVersion('2.0.0') });
    const active = await sudo('relay1', 'systemctl is-active smp xfp');
    assert.equal(active.stdout.trim(), 'active\nactive', 'relay1 serves v2 again under systemd');
  });
});
