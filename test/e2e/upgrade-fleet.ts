// The fleet the upgrade and patch tests share: lab hosts node5..node8 as build, relay1..relay3
// (test/fixtures/inventory/fleet-nodes.ts; the lab's own build and relay hosts belong to other
// tests), brought to relay.ts at v1; a version probe from the bridge side, and a background prober
// that records, every ~200 ms, which relays answer.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { engine } from '../integration/engine-cli.ts';
import { ensureLab, freshHosts } from '../integration/lab-fixture.ts';
import { becomePassword, hostAddress, labStatus, sshRun } from '../lab/index.ts';
import { FLEET_NODES } from '../fixtures/inventory/fleet-nodes-map.ts';

export const INVENTORY = 'test/fixtures/inventory/fleet-nodes.ts';
export const RELAYS = ['relay1', 'relay2', 'relay3'] as const;
export type Relay = (typeof RELAYS)[number];
export const PORTS = [5223, 5353] as const;

/** The lab address of an inventory name (relay1 -> node6's address). Only the lab's 10.77.0.x. */
export function addressOf(name: keyof typeof FLEET_NODES): string {
  const address = hostAddress(FLEET_NODES[name]);
  assert.match(address, /^10\.77\.0\.\d+$/, `${name} is a lab host`);
  return address;
}

/** Root shell text on an inventory host, through deploy and sudo (relay.ts turns root SSH off). */
export function sudo(name: keyof typeof FLEET_NODES, command: string) {
  return sshRun(FLEET_NODES[name], `sudo -S -p '' sh -c '${command.replace(/'/g, `'\\''`)}'`, { user: 'deploy', input: `${becomePassword()}\n` });
}

/** Connect from the bridge side, send VERSION, read the first line; undefined when nothing answers. */
export function versionProbe(address: string, port: number, timeoutMs = 1500): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    let answer = '';
    const done = (v: string | undefined) => (s.destroy(), resolve(v));
    s.setTimeout(timeoutMs, () => done(undefined));
    s.once('error', () => done(undefined));
    s.once('connect', () => s.write('VERSION\n'));
    s.on('data', (d) => {
      answer += d.toString();
      if (answer.includes('\n')) done(answer.split('\n')[0]);
    });
    s.on('close', () => resolve(answer ? answer.split('\n')[0] : undefined));
  });
}

/** "smp-server 2.0.0" and "xfp-server 2.0.0" from each relay's ports, fingerprints cut off. */
export async function fleetVersions(): Promise<Record<Relay, string[]>> {
  const out = {} as Record<Relay, string[]>;
  for (const relay of RELAYS) {
    out[relay] = await Promise.all(PORTS.map(async (port) => (await versionProbe(addressOf(relay), port))?.split(' ').slice(0, 2).join(' ') ?? 'no answer'));
  }
  return out;
}

export const onVersion = (v: string) => [`smp-server ${v}`, `xfp-server ${v}`];

export interface Round {
  t: number;
  /** Relays that failed to answer on some port, with what they answered. */
  down: Relay[];
  answers: Record<Relay, string[]>;
}

/** Probes every relay's ports every ~200 ms until stopped. */
export function startProber(): { stop: () => Promise<Round[]> } {
  const rounds: Round[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      const answers = {} as Record<Relay, string[]>;
      await Promise.all(
        RELAYS.map(async (relay) => {
          answers[relay] = await Promise.all(PORTS.map(async (port) => (await versionProbe(addressOf(relay), port, 1000)) ?? 'no answer'));
        }),
      );
      const down = RELAYS.filter((r) => answers[r].some((a) => !/^(smp|xfp)-server \d+\.\d+\.\d+ /.test(a)));
      rounds.push({ t, down, answers });
      await new Promise((r) => setTimeout(r, Math.max(0, 200 - (Date.now() - t))));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return rounds;
    },
  };
}

/** Per batch of a play, its hosts and when it started (the next batch's start, or play.end, ends it). */
export function batchWindows(events: Array<Record<string, any>>, play: string): Array<{ hosts: string[]; start: number; end: number }> {
  const starts = events.filter((e) => e.type === 'batch.start' && e.play === play);
  const end = events.find((e) => e.type === 'play.end' && e.play === play);
  assert.ok(end, `play ${play} ended`);
  return starts.map((e, i) => ({
    hosts: e.hosts as string[],
    start: Date.parse(e.time),
    end: Date.parse((starts[i + 1] ?? end).time),
  }));
}

/**
 * Fresh node5..node8, then relay.ts at v1 on them. The lab is brought up with ensureLab() only when
 * one of these four is not running: a hardened host whose fail2ban banned the bridge (after someone's
 * root login attempts) shows no SSH banner, and ensureLab() would then re-run the whole lab's up;
 * freshHosts() resets these four anyway.
 */
export async function fleetAtV1(): Promise<void> {
  const status = await labStatus().catch(() => undefined);
  const up = new Set((status?.hosts ?? []).filter((h) => h.running).map((h) => h.name));
  if (!Object.values(FLEET_NODES).every((n) => up.has(n))) await ensureLab();
  await freshHosts(...Object.values(FLEET_NODES));
  const r = await engine(['run', 'playbooks/relay.ts', '-i', INVENTORY, '-e', 'simplexVersion=v1', '--json']);
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  const versions = await fleetVersions();
  for (const relay of RELAYS) assert.deepEqual(versions[relay], onVersion('1.0.0'), `${relay} serves v1`);
}
