// The shape of a real deployment: three relays running simplexmq's own release binaries (upstream
// mode, the default), their SimpleX and TURN names under yourdomain.com, the passwords read from the
// environment (never written here), and the ACME contact. Copy it, then change the addresses and
// names, and pin the release: simplexVersion and, for each binary your hosts run, the sha256 from
// the release's text (its `SHA2-256(smp-server-ubuntu-22_04-x86-64)= …` lines). The placeholders
// below are refused before any host is touched: nothing is ever downloaded without its checksum.
// Every variable the playbook reads, with its default: playbooks/relay-settings.ts.
//
//   export RELAY_SUDO_PASSWORD=... TURN_PASSWORD=...      # SMP_PASSWORD=... for a private relay
//   npx tsx engine run playbooks/relay.ts -i inventory/example.ts --check --diff
//
// The guide's way instead (a build machine compiling the servers, as the published guide says):
// mode: 'guide', a `build` host, and the guide's variables (simplexRepo, binarySource, xfpFqdn...).
import { defineInventory } from '../engine/inventory/index.ts';
import { secret } from '../engine/secret.ts';

const turnPassword = process.env.TURN_PASSWORD ? secret(process.env.TURN_PASSWORD) : undefined;
// Unset for a public relay (anyone may create queues on it, as simplexmq recommends for public
// servers); set, only clients given smp://FINGERPRINT:PASSWORD@HOST can.
const smpPassword = process.env.SMP_PASSWORD ? secret(process.env.SMP_PASSWORD) : undefined;

export default defineInventory({
  defaults: {
    // A sudo-capable account: once the playbook turns root login off, this is how the engine gets in.
    user: 'deploy',
    privateKey: '~/.ssh/id_ed25519',
    knownHosts: '~/.ssh/known_hosts',
    becomePassword: { env: 'RELAY_SUDO_PASSWORD' },
  },
  vars: {
    mode: 'upstream',
    domain: 'yourdomain.com',
    acmeEmail: 'admin@yourdomain.com',
    // The release every relay runs. To upgrade: pin the new version's checksums beside these, set
    // simplexVersion to it, and run playbooks/upgrade.ts.
    simplexVersion: 'v6.4.5',
    simplexSha256: {
      'v6.4.5': {
        // Debian 12 on x86-64 runs the Ubuntu 22.04 build (playbooks/relay-release.ts).
        'smp-server-ubuntu-22_04-x86-64': 'PASTE the SHA2-256 of smp-server-ubuntu-22_04-x86-64 from the v6.4.5 release text',
        'xftp-server-ubuntu-22_04-x86-64': 'PASTE the SHA2-256 of xftp-server-ubuntu-22_04-x86-64 from the v6.4.5 release text',
      },
    },
    // Where each relay's full addresses (with passwords) are copied on this machine (0600 files).
    // addressDir: './relay-addresses',
  },
  hosts: {
    relay1: { address: '203.0.113.11', vars: { smpFqdn: 'smp1.yourdomain.com', xftpFqdn: 'xftp1.yourdomain.com', turn: true, turnFqdn: 'turn1.yourdomain.com', turnPassword, smpPassword } },
    relay2: { address: '203.0.113.12', vars: { smpFqdn: 'smp2.yourdomain.com', xftpFqdn: 'xftp2.yourdomain.com' } },
    relay3: { address: '203.0.113.13', vars: { smpFqdn: 'smp3.yourdomain.com', xftpFqdn: 'xftp3.yourdomain.com', xftpQuota: '50gb' } },
  },
  groups: {
    relays: { hosts: ['relay1', 'relay2', 'relay3'] },
  },
});
