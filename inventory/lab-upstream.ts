// The relays on the lab in upstream mode (what `npm run demo` shows): relay1..relay3, no build
// machine, the release binaries from the lab's HTTP server (stand-ins: test/fixtures/releases/
// simplexmq/README.md), pinned by the sha256 lines of the lab's release texts as an operator copies
// them from a real release's text. relay1 has TURN and server passwords (secrets), relay2 and
// relay3 are open servers, as simplexmq recommends for public ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineInventory, type NativeHost, type NativeInventory } from '../engine/inventory/index.ts';
import { secret } from '../engine/secret.ts';
import { labAddress } from './lab-address.ts';

const LAB_DIR = process.env.LAB_DIR ?? '/var/lib/shipshape-lab';
const RELEASE_TEXTS = join(LAB_DIR, 'apt', 'simplexmq', 'releases', 'tag');

/** tag -> asset -> sha256, from each release text's `SHA2-256(ASSET)= HEX` lines. */
function labPins(): Record<string, Record<string, string>> {
  let tags: string[];
  try {
    tags = readdirSync(RELEASE_TEXTS);
  } catch {
    throw new Error(`inventory/lab-upstream.ts: the lab serves no stand-in simplexmq releases (no ${RELEASE_TEXTS}): npm run lab -- up publishes them`);
  }
  return Object.fromEntries(
    tags.map((tag) => [tag, Object.fromEntries([...readFileSync(join(RELEASE_TEXTS, tag), 'utf8').matchAll(/^SHA2-256\(([^)]+)\)= ([0-9a-f]{64})$/gm)].map((m) => [m[1], m[2]]))]),
  );
}

/** Each relay's own variables. */
const RELAYS: Record<string, Record<string, unknown>> = {
  relay1: { turn: true, turnPassword: secret('lab-turn-relay1-pw'), smpPassword: secret('lab-smp-relay1-pw'), xftpPassword: secret('lab-xftp-relay1-pw') },
  relay2: { turn: false },
  relay3: { turn: false, xftpQuota: '20gb' },
};

/** The upstream fleet with each relay on the given lab host (relay1 -> 'relay1' on the lab itself). */
export function labUpstreamInventory(fleet: Partial<Record<'relay1' | 'relay2' | 'relay3', string>>): NativeInventory {
  const names = Object.keys(fleet) as Array<keyof typeof fleet>;
  const relay = (name: keyof typeof fleet): NativeHost => ({
    address: labAddress(fleet[name]!),
    vars: { smpFqdn: `smp.${name}.lab.test`, xftpFqdn: `xftp.${name}.lab.test`, turnFqdn: `turn.${name}.lab.test`, ...RELAYS[name] },
  });
  return defineInventory({
    defaults: {
      user: 'deploy',
      privateKey: join(LAB_DIR, 'id_ed25519'),
      knownHosts: join(LAB_DIR, 'known_hosts'),
      becomePassword: { file: join(LAB_DIR, 'become-password') },
    },
    vars: {
      mode: 'upstream',
      simplexVersion: 'v6.4.5',
      simplexReleaseUrl: 'http://10.77.0.1:8080/simplexmq/releases/download',
      simplexSha256: labPins(),
      domain: 'lab.test',
      acmeEmail: 'admin@lab.test',
      acmeServer: 'https://10.77.0.1:14000/dir',
      // The full addresses, passwords included, are fetched here (0600).
      addressDir: join(LAB_DIR, 'addresses'),
      minMemoryMb: 1024,
      // The controller (the bridge side) tests that root and password logins are refused: those
      // failures must not get it banned from the fleet it manages.
      fail2banIgnoreIp: ['10.77.0.1'],
    },
    hosts: Object.fromEntries(names.map((n) => [n, relay(n)])),
    groups: {
      relays: { hosts: names },
    },
  });
}

export default labUpstreamInventory({ relay1: 'relay1', relay2: 'relay2', relay3: 'relay3' });
