// The bench's schedule: for each host count, W1 warm (engine, each peer, floor, side by side in
// each round), W1 cold (fresh hosts before every run of any tool; python3 put back, uncounted, before
// an Ansible peer's), and W2 when the relay playbook exists. Round 0 is the warm-up: recorded, not
// counted. The peers: Ansible, Ansible with Mitogen, pyinfra (peers.ts).
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { resetHosts } from './reset.ts';
import { ensurePython3 } from './provision.ts';
import { WORK_DIR, writeFleetFiles, type BenchHost } from './fleet.ts';
import { engineRun, floorRun, type Peer, type Tool, type ToolRun } from './tools.ts';
import { LAB_INVENTORY, needsPython, peerW1, peerW2, RELAY_ANSIBLE, RELAY_PLAYBOOK, W1_ENGINE, type PeerSet } from './peers.ts';

export { LAB_INVENTORY, RELAY_ANSIBLE, RELAY_PLAYBOOK };

export const WORKLOADS = ['w1-warm', 'w1-cold', 'w3', 'w2', 'w2-dry-fresh'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface Record_ extends ToolRun {
  /** The machine's 1-minute load average when the run ended (other work inflates wall times). */
  load1?: number;
  workload: string;
  n: number;
  round: number;
  counted: boolean;
}

export interface SuiteOptions {
  hosts: BenchHost[];
  counts: number[];
  runs: number;
  /** Counted cold runs (each needs fresh hosts twice: the slow part of the bench); default runs. */
  coldRuns?: number;
  warmup: number;
  workloads: Workload[];
  /** The peers this run compares with (and pyinfra's executable). */
  peers: PeerSet;
  log: (m: string) => void;
  /** W2's hosts and engine inventory, when W2 is asked for. */
  w2?: W2Fleet;
  /** Called with every record as it is made (run.ts saves them as they come). */
  onRecord?: (r: Record_) => void;
}

export interface SuiteResult {
  records: Record_[];
  notes: string[];
}

export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const records: Record_[] = [];
  const notes: string[] = [...o.peers.notes];
  const peers = o.peers.peers;
  const python = peers.some(needsPython);
  const rounds = o.warmup + o.runs;
  const push = (workload: string, n: number, round: number, r: ToolRun) => {
    const rec = { ...r, workload, n, round, counted: round >= o.warmup, load1: loadavg()[0] };
    records.push(rec);
    o.onRecord?.(rec);
    o.log(
      `${workload.padEnd(13)} N=${String(n).padEnd(3)} ${round < o.warmup ? 'warm-up' : `run ${round - o.warmup + 1}`.padEnd(7)} ${r.tool.padEnd(8)}` +
        ` ${r.wallS.toFixed(2)} s wall, ${r.cpuS.toFixed(2)} s cpu, ${r.peakRssMaxMb.toFixed(0)}/${r.peakRssSumMb.toFixed(0)} MB rss max/sum` +
        (r.roundTrips !== undefined ? `, ${r.roundTrips} trips/host` : '') +
        (r.changed !== undefined ? `, changed ${r.changed}` : '') +
        (r.mitogenConnections !== undefined ? `, ${r.mitogenConnections} Mitogen connections` : '') +
        (r.previewS !== undefined ? `, package previews ${r.previewS.toFixed(2)} s (longest host), ${(r.previewSumS ?? 0).toFixed(2)} s over all hosts` : ''),
    );
  };

  // A peer's run that fails (a host it could not reach at 200 forks) is said in the notes, with its
  // first lines, and the bench goes on: one tool's failure does not cost the others' figures.
  const peerRun = async (workload: string, n: number, round: number, p: Peer, run: () => Promise<ToolRun>) => {
    try {
      push(workload, n, round, await run());
    } catch (err) {
      const why = (err as Error).message.split('\n').filter((l) => /unreachable=[1-9]|fatal|error|exited/i.test(l)).slice(0, 4).join(' | ');
      notes.push(`${workload} N=${n} ${round < o.warmup ? 'warm-up' : `run ${round - o.warmup + 1}`}: ${p} failed, not recorded: ${why.replace(/\s+/g, ' ').slice(0, 400)}`);
      o.log(notes.at(-1)!);
    }
  };

  // Warm and floor for every N first, then cold for every N (the slow part: fresh hosts each run),
  // so an interrupted bench has whole warm figures.
  const fleet = (n: number) => {
    const hosts = o.hosts.slice(0, n);
    if (hosts.length < n) throw new Error(`only ${o.hosts.length} hosts for N=${n}`);
    return { hosts, files: writeFleetFiles(hosts, `n${n}`) };
  };
  const wantWarm = o.workloads.includes('w1-warm');
  const wantFloor = o.workloads.includes('w3');
  for (const n of o.counts) {
    if (!wantWarm && !wantFloor) break;
    const { hosts, files } = fleet(n);
    if (wantWarm && python) await ensurePython3(hosts, o.log);
    // Without a warm-up round, converge the hosts first (not recorded): warm means converged.
    if (wantWarm && o.warmup === 0) await engineRun(W1_ENGINE, files, n);
    for (let round = 0; round < rounds; round++) {
      if (wantWarm) {
        push('W1 warm', n, round, await engineRun(W1_ENGINE, files, n));
        // Ansible's warm-up run counts its ssh execs with -vvv; counted runs are plain.
        for (const p of peers) await peerRun('W1 warm', n, round, p, () => peerW1(o.peers, p, files, hosts, round < o.warmup));
      }
      if (wantFloor) push('W3 floor', n, round, await floorRun(hosts));
    }
    if (wantWarm && o.warmup === 0) notes.push(`N=${n}: no warm-up, so Ansible's ssh execs per host were not counted.`);
  }

  // Cold has its own warm-up round only when no warm rounds ran before it: a cold round costs a
  // reset of every host per tool (minutes at 200 hosts), and the warm rounds have already warmed
  // the controller (page cache, Python's bytecode, the bundle). Ansible's ssh execs per host are
  // counted in the warm-up, so cold ones are then not counted.
  const coldWarmup = wantWarm ? 0 : o.warmup;
  for (const n of o.counts) {
    if (!o.workloads.includes('w1-cold')) break;
    const { hosts, files } = fleet(n);
    const names = hosts.map((h) => h.name);
    for (let round = 0; round < coldWarmup + (o.coldRuns ?? o.runs); round++) {
      // Recorded as the round it stands for among the warm ones: counted once past the warm-up.
      const recorded = round + o.warmup - coldWarmup;
      await resetHosts(names);
      push('W1 cold', n, recorded, await engineRun(W1_ENGINE, files, n));
      for (const p of peers) {
        await resetHosts(names);
        // Not counted: an Ansible peer's cold host is a fresh host with python3.
        if (needsPython(p)) await ensurePython3(hosts, o.log);
        await peerRun('W1 cold', n, recorded, p, () => peerW1(o.peers, p, files, hosts, round < coldWarmup));
      }
    }
  }

  if (o.workloads.includes('w2') || o.workloads.includes('w2-dry-fresh')) {
    try {
      await runW2(o, push, notes, rounds);
    } catch (err) {
      notes.push(`W2: failed, figures incomplete: ${(err as Error).message.split('\n').slice(0, 6).join(' ')}`);
      o.log(notes.at(-1)!);
    }
  }
  return { records, notes };
}

/** W2's fleet: the relay hosts by the names the playbook and relay-vars.yml know them by. */
export interface W2Fleet {
  /** build first, then the relays (Ansible host names: build, relay1, ...). */
  hosts: BenchHost[];
  /** The engine's inventory for them (inventory/lab.ts on the full lab). */
  engineInventory: string;
  /** The same hosts by their lab names, in the same order (what a reset takes). */
  labNames: string[];
}

/**
 * W2 (w2): the relay playbook converged on its hosts, and its dry run, against bench/ansible/relay.yml.
 * W2 dry run fresh (w2-dry-fresh): its dry run on hosts reset before every run (engine only: what
 * the package previews cost a dry run that plans installs), after the converged rounds.
 */
async function runW2(o: SuiteOptions, push: (w: string, n: number, round: number, r: ToolRun) => void, notes: string[], rounds: number): Promise<void> {
  if (!existsSync(RELAY_PLAYBOOK) || !existsSync(LAB_INVENTORY)) {
    notes.push('W2: not available yet (playbooks/relay.ts or inventory/lab.ts does not exist).');
    o.log(notes.at(-1)!);
    return;
  }
  if (!o.w2) {
    notes.push('W2: not run (no relay hosts given).');
    return;
  }
  const { hosts } = o.w2;
  const n = hosts.length;
  const files = writeFleetFiles(hosts, `w2-${n}`, {
    groups: { build_hosts: [hosts[0].name], relays: hosts.slice(1).map((h) => h.name) },
    vars: { artifact_dir: join(WORK_DIR, `w2-${n}`, 'artifacts') },
  });
  const fleet = { ...files, engineInventory: o.w2.engineInventory };
  if (o.workloads.includes('w2')) await runW2Converged(o, push, notes, rounds, { hosts, files, fleet, n });
  if (!o.workloads.includes('w2-dry-fresh')) return;
  // Fresh hosts install everything, so the dry run previews every package (engine/packages/): the
  // preview execs' time is read from the engine's --log. The peers are not run here.
  notes.push('W2 dry run fresh: engine only (hosts reset before every run, as W1 cold); the package previews\' time is from the engine\'s --log, the longest host\'s sum of its preview execs.');
  for (let round = 0; round < rounds; round++) {
    await resetHosts(o.w2.labNames);
    push('W2 dry run fresh', n, round, await engineRun(RELAY_PLAYBOOK, fleet, n, { check: true, previews: true }));
  }
}

async function runW2Converged(
  o: SuiteOptions,
  push: (w: string, n: number, round: number, r: ToolRun) => void,
  notes: string[],
  rounds: number,
  { hosts, files, fleet, n }: { hosts: BenchHost[]; files: ReturnType<typeof writeFleetFiles>; fleet: Parameters<typeof engineRun>[1]; n: number },
): Promise<void> {
  o.log(`W2: converging ${n} relay hosts with the engine (not counted)`);
  await engineRun(RELAY_PLAYBOOK, fleet, n);
  let w2Peers: Peer[] = [...o.peers.peers];
  if (!existsSync(RELAY_ANSIBLE)) {
    notes.push('W2: bench/ansible/relay.yml not available yet: engine figures only.');
    w2Peers = [];
  }
  if (w2Peers.some(needsPython)) await ensurePython3(hosts, o.log);
  // Each peer's first run on the engine's hosts (Ansible fetches the binaries to the controller and
  // writes its own cron.d job) is not counted; a peer that fails it is left out of W2, with the reason.
  for (const p of [...w2Peers]) {
    try {
      await peerW2(o.peers, p, files, hosts, {});
    } catch (err) {
      w2Peers = w2Peers.filter((x) => x !== p);
      notes.push(`W2: ${p} failed its first run, left out: ${(err as Error).message.split('\n').slice(0, 6).join(' ')}`);
      o.log(notes.at(-1)!);
    }
  }
  for (let round = 0; round < rounds; round++) {
    const countTrips = round < o.warmup;
    push('W2 converged', n, round, await engineRun(RELAY_PLAYBOOK, fleet, n));
    for (const p of w2Peers) push('W2 converged', n, round, await peerW2(o.peers, p, files, hosts, { countTrips }));
    push('W2 dry run', n, round, await engineRun(RELAY_PLAYBOOK, fleet, n, { check: true }));
    for (const p of w2Peers) push('W2 dry run', n, round, await peerW2(o.peers, p, files, hosts, { check: true, countTrips }));
  }
}

export type { Tool };
