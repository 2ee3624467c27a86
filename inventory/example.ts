// The shape of a real deployment of the relay guide: a build machine and three relays, their
// SimpleX and TURN names under yourdomain.com, the TURN password and the sudo password read from
// the environment (never written here), and the ACME contact. Copy it, then change the addresses
// and names. Every variable the playbook reads, with its default: playbooks/relay-settings.ts.
//
//   export RELAY_SUDO_PASSWORD=... TURN_PASSWORD=...
//   npx tsx engine run playbooks/relay.ts -i inventory/example.ts --check --diff
import { defineInventory } from '../engine/inventory/index.ts';
import { secret } from '../engine/secret.ts';

const turnPassword = process.env.TURN_PASSWORD ? secret(process.env.TURN_PASSWORD) : undefined;

export default defineInventory({
  defaults: {
    // A sudo-capable account: once the playbook turns root login off, this is how the engine gets in.
    user: 'deploy',
    privateKey: '~/.ssh/id_ed25519',
    knownHosts: '~/.ssh/known_hosts',
    becomePassword: { env: 'RELAY_SUDO_PASSWORD' },
  },
  vars: {
    domain: 'yourdomain.com',
    acmeEmail: 'admin@yourdomain.com',
    // The guide builds from source; a prebuilt binary with its sha256 works too:
    // binarySource: 'url', smpServerUrl: 'https://...', smpServerSha256: '...', xfpServerUrl: ..., xfpServerSha256: ...
  },
  hosts: {
    // The guide wants 8 GB of memory here for the build.
    build: { address: '203.0.113.10' },
    relay1: { address: '203.0.113.11', vars: { smpFqdn: 'smp1.yourdomain.com', xfpFqdn: 'xfp1.yourdomain.com', turn: true, turnFqdn: 'turn1.yourdomain.com', turnPassword } },
    relay2: { address: '203.0.113.12', vars: { smpFqdn: 'smp2.yourdomain.com', xfpFqdn: 'xfp2.yourdomain.com' } },
    relay3: { address: '203.0.113.13', vars: { smpFqdn: 'smp3.yourdomain.com', xfpFqdn: 'xfp3.yourdomain.com', xfpQuota: '10GB' } },
  },
  groups: {
    relays: { hosts: ['relay1', 'relay2', 'relay3'] },
  },
});
