// `lab status`: what is running, read from the system rather than trusted from hosts.json.
import { readState } from './state.ts';
import { launcherPid } from './power.ts';
import { linkExists, linkIsUp } from './network.ts';
import { serviceStatus } from './services/index.ts';
import { readBanner } from './services/port.ts';
import { cgroupPids } from './cgroups.ts';
import { BRIDGE } from './paths.ts';

export interface HostStatus {
  name: string;
  address: string;
  groups: string[];
  /** launcher running (the host is powered on) */
  running: boolean;
  launcherPid?: number;
  processes: number;
  link: 'up' | 'down';
  ssh: boolean;
}

export interface LabStatus {
  bridge: boolean;
  services: Record<string, number | undefined>;
  hosts: HostStatus[];
  groups: Record<string, string[]>;
}

export async function labStatus(): Promise<LabStatus> {
  const state = readState();
  const hosts = await Promise.all(
    state.hosts.map(async (h): Promise<HostStatus> => {
      const pid = launcherPid(h.name);
      return {
        name: h.name,
        address: h.address,
        groups: h.groups,
        running: pid !== undefined,
        launcherPid: pid,
        processes: cgroupPids(h.name).length,
        link: (await linkIsUp(h.address)) ? 'up' : 'down',
        ssh: (await readBanner(h.address, 22, 700))?.startsWith('SSH-') ?? false,
      };
    }),
  );
  return { bridge: linkExists(BRIDGE), services: serviceStatus(), hosts, groups: state.groups };
}
