// CPU time the lab hosts themselves spend (sshd, sudo, the shell and what it runs), read from each
// host's cpuacct cgroup (lab-NAME, test/lab/cgroups.ts). On this machine the hosts share the
// controller's two cores, so at fleet scale a tool's wall time per added host is bounded by its
// controller CPU plus the hosts' CPU per host, divided by the cores: this is how the profile tells
// where the engine's time per host goes and what the floor does differently.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupName } from '../../test/lab/paths.ts';

const CPUACCT = '/sys/fs/cgroup/cpuacct';

/** Seconds of CPU the named hosts' cgroups have used so far, summed. */
export function hostsCpuS(names: readonly string[]): number {
  let ns = 0;
  for (const n of names) ns += Number(readFileSync(join(CPUACCT, cgroupName(n), 'cpuacct.usage'), 'utf8'));
  return ns / 1e9;
}

/** The hosts' CPU seconds spent while `fn` ran (other hosts' and the controller's work not counted). */
export async function hostsCpuDuring<T>(names: readonly string[], fn: () => Promise<T>): Promise<{ result: T; hostsCpuS: number }> {
  const before = hostsCpuS(names);
  const result = await fn();
  return { result, hostsCpuS: hostsCpuS(names) - before };
}
