// SimpleX relays, end to end, in one of two modes (the inventory's `mode`):
// - upstream (the default): simplexmq's release binaries for the host's platform, downloaded and
//   checked against the sha256 the inventory pins, with simplexmq's users, folders, units and stop
//   script, each server initialised exactly once (playbooks/relay-upstream.ts, relay-release.ts);
// - guide: the published relay guide as it is written: a build machine compiles smp-server and
//   xfp-server, the binaries go to each relay, each server gets the guide's user, folders and unit.
// Either way the relay is hardened (sshd, UFW, fail2ban), coturn serves TURN over TLS where asked,
// certbot obtains certificates and renews them from cron, and at the end each relay prints the
// addresses to paste into SimpleX.
//
//   npx tsx engine run playbooks/relay.ts -i inventory/example.ts --check --diff   # what would change
//   npx tsx engine run playbooks/relay.ts -i inventory/example.ts
//
// Settings and their defaults: playbooks/relay-settings.ts. Where the guide is wrong, the playbook
// does what works and says why in a comment next to it; the guide's mode keeps what the guide says
// about the servers themselves (the README lists where that is wrong, with simplexmq's sources).
import { handler, play, playbook, task } from '../engine/playbook/define.ts';
import { shellJoin } from '../engine/quote.ts';
import {
  apt, assert, certbot, copy, cron, debug, file, getUrl, lineinfile, readFile, systemd, template, transfer, ufw, user, waitFor,
} from '../modules/index.ts';
import type { HostContext } from '../engine/module.ts';
import { isGuide, isUpstream, relaySettings, setting, type RelaySettings } from './relay-settings.ts';
import { buildTasks, fromBuild } from './relay-build.ts';
import { checkRelease, hostPinProblem } from './relay-release.ts';
import { stopScript, upstreamAddresses, upstreamServer } from './relay-upstream.ts';

const s = (ctx: HostContext): RelaySettings => relaySettings(ctx);
const withTurn = (ctx: HostContext) => s(ctx).turn;
const prebuilt = (ctx: HostContext) => isGuide(ctx) && !fromBuild(ctx);

/**
 * sshd_config's PasswordAuthentication directive, commented out or not. Not `\b` after the name:
 * Debian's sshd_config has a comment paragraph with the line "# PasswordAuthentication.  Depending
 * on your PAM configuration,", which that matched (and, as the last match, replaced).
 */
export const PASSWORD_AUTHENTICATION = '^#?\\s*PasswordAuthentication\\s+(?:[Yy][Ee][Ss]|[Nn][Oo])\\s*$';

/** The relay's binaries: from the build machine (the guide's scp) or prebuilt from a URL with a sha256. */
function serverBinary(name: 'smp' | 'xfp') {
  const dest = `/usr/local/bin/${name}-server`;
  return [
    task(`${name}-server from the build machine`, transfer({
      from: setting((c) => c.buildHost),
      src: setting((c) => `${c.buildDir}/${name === 'smp' ? c.smpArtifact : c.xfpArtifact}`),
      dest,
      mode: '0755',
      owner: 'root',
      group: 'root',
    }), { when: fromBuild, notify: `restart ${name}` }),
    task(`${name}-server prebuilt`, getUrl({
      url: setting((c) => (name === 'smp' ? c.smpServerUrl : c.xfpServerUrl) ?? ''),
      sha256: setting((c) => (name === 'smp' ? c.smpServerSha256 : c.xfpServerSha256)),
      dest,
      mode: '0755',
      owner: 'root',
      group: 'root',
    }), { when: prebuilt, notify: `restart ${name}` }),
  ];
}

/** The guide's server: a system user, folders, unit and service (guide mode only). */
function server(name: 'smp' | 'xfp') {
  const userOf = (c: RelaySettings) => (name === 'smp' ? c.smpUser : c.xfpUser);
  const dataOf = (c: RelaySettings) => (name === 'smp' ? c.smpDataDir : c.xfpDataDir);
  const logOf = (c: RelaySettings) => (name === 'smp' ? c.smpLogDir : c.xfpLogDir);
  const guide = { when: isGuide };
  return [
    task(`${name} system user`, user({ name: setting(userOf), system: true, shell: '/usr/sbin/nologin', home: setting(dataOf), createHome: false }), guide),
    task(`${name} data folder`, file({ path: setting(dataOf), state: 'directory', owner: setting(userOf), group: setting(userOf), mode: '0750' }), guide),
    task(`${name} log folder`, file({ path: setting(logOf), state: 'directory', owner: setting(userOf), group: setting(userOf), mode: '0750' }), guide),
    ...serverBinary(name),
    task(`${name} unit`, template({ src: `templates/${name}.service.hbs`, dest: `/etc/systemd/system/${name}.service`, vars: setting((c) => ({ ...c })), mode: '0644' }), { ...guide, notify: `restart ${name}` }),
    // New unit files need daemon-reload (the guide says daemon-reexec, which is for upgrading systemd).
    task(`${name} service`, systemd({ unit: name, enabled: true, state: 'started', daemonReload: true }), guide),
  ];
}

export default playbook(
  play({
    name: 'prerequisites',
    // Every host: the build machine and the relays in the guide's mode, the relays in upstream's.
    hosts: 'all',
    become: true,
    tasks: [
      // Checked before any host is touched (the engine resolves params that need no facts first):
      // a missing or placeholder checksum is an input error naming the inventory variable.
      task('the release is pinned', assert({ that: setting((c) => checkRelease(c)) }), { when: isUpstream }),
      // Key-based SSH is a given: the engine authenticates with keys only (file or agent), never passwords.
      task('Debian 12 with at least 1 GiB of memory', assert({
        osId: 'debian',
        osVersion: '12',
        minMemoryMb: setting((c) => c.minMemoryMb),
        msg: 'the SimpleX relay guide needs Debian 12 and at least 1 GiB of memory',
      })),
      // The platform is the host's (facts): a relay whose binaries have no pin stops here, unchanged.
      task("this host's release binaries are pinned", assert({
        that: (ctx) => ({ 'its binaries are pinned': hostPinProblem(s(ctx), ctx.facts) === undefined }),
        msg: (ctx) => hostPinProblem(s(ctx), ctx.facts) ?? 'pinned',
      }), { when: (ctx) => isUpstream(ctx) && ctx.groups.includes('relays') }),
    ],
  }),

  play({
    name: 'build the SimpleX servers',
    // The guide's build machine (buildHost), when the inventory has one: see isBuildMachine.
    hosts: 'all:!relays',
    become: true,
    tasks: buildTasks(),
  }),

  play({
    name: 'SimpleX relays',
    hosts: 'relays',
    become: true,
    tasks: [
      // Minimal Debian 12 has no rsyslog: the sshd jail must read the journal (backend = systemd),
      // and it is in place before fail2ban is installed, so the package's first start succeeds.
      task('fail2ban jail folder', file({ path: '/etc/fail2ban/jail.d', state: 'directory', mode: '0755' })),
      task('fail2ban sshd jail', template({ src: 'templates/fail2ban-sshd.local.hbs', dest: '/etc/fail2ban/jail.d/sshd.local', vars: setting((c) => ({ ...c })), mode: '0644' }), { notify: 'restart fail2ban' }),
      task('packages', apt({
        // Upstream: the release binaries' init makes its CA and certificates with the openssl
        // command (simplexmq src/Simplex/Messaging/Server/CLI.hs, createServerX509_).
        name: (ctx) => ['ufw', 'fail2ban', 'certbot', ...(isUpstream(ctx) ? ['openssl'] : []), ...(withTurn(ctx) ? ['coturn'] : [])],
        cacheValidTime: 3600,
      })),

      // Hardening. The engine must then connect as a sudo user (the inventory's user, with become),
      // or the second run could not get in.
      // check: sshd -t reads the whole configuration with the new file in place (validate sees the
      // file alone); the restart handler is then confirmed by a fresh login, or undone.
      task('no root login over SSH', lineinfile({ path: '/etc/ssh/sshd_config', regexp: '^#?\\s*PermitRootLogin\\b', line: 'PermitRootLogin no', validate: '/usr/sbin/sshd -t -f %s', check: '/usr/sbin/sshd -t' }), { notify: 'restart ssh' }),
      task('no password login over SSH', lineinfile({ path: '/etc/ssh/sshd_config', regexp: PASSWORD_AUTHENTICATION, line: 'PasswordAuthentication no', validate: '/usr/sbin/sshd -t -f %s', check: '/usr/sbin/sshd -t' }), { notify: 'restart ssh' }),
      // The guide edits sshd_config only, but sshd keeps the first value it reads and Debian's
      // sshd_config includes sshd_config.d/*.conf at its top: a drop-in there (cloud-init's
      // 50-cloud-init.conf turns passwords back on on many VPSs) wins. A drop-in read first settles it.
      task('SSH hardening read first', copy({
        dest: '/etc/ssh/sshd_config.d/00-hardening.conf',
        content: '# Managed by shipshape (playbooks/relay.ts): read before any other drop-in.\nPermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n',
        mode: '0644',
        validate: '/usr/sbin/sshd -t -f %s',
        check: '/usr/sbin/sshd -t',
      }), { notify: 'restart ssh' }),
      // The guide allows only OpenSSH, which would leave the relay unreachable: open what its
      // prerequisites list (SMP, XFP, TURN), plus 80 for certbot's standalone challenge. Upstream
      // mode opens SMP and XFTP on the ports their ini files are given (5223 and 443 by default).
      task('firewall', ufw({
        default: { incoming: 'deny', outgoing: 'allow' },
        rules: (ctx) => {
          const c = s(ctx);
          return [
            { rule: 'allow' as const, port: c.sshPort, proto: 'tcp' as const, comment: 'ssh' },
            { rule: 'allow' as const, port: c.smpPort, proto: 'tcp' as const, comment: 'simplex smp' },
            c.mode === 'guide'
              ? { rule: 'allow' as const, port: c.xfpPort, proto: 'tcp' as const, comment: 'simplex xfp' }
              : { rule: 'allow' as const, port: c.xftpPort, proto: 'tcp' as const, comment: 'simplex xftp' },
            { rule: 'allow' as const, port: 80, proto: 'tcp' as const, comment: 'acme http-01' },
            ...(c.turn
              ? [
                  { rule: 'allow' as const, port: c.turnPort, proto: 'any' as const, comment: 'turn' },
                  { rule: 'allow' as const, port: c.turnTlsPort, proto: 'any' as const, comment: 'turn tls' },
                ]
              : []),
          ];
        },
        state: 'enabled',
      })),
      task('fail2ban running', systemd({ unit: 'fail2ban', enabled: true, state: 'started' })),

      ...server('smp'),
      ...server('xfp'),
      stopScript,
      ...upstreamServer('smp-server'),
      ...upstreamServer('xftp-server'),

      task('certificates', certbot({
        domains: (ctx) => { const c = s(ctx); return [c.smpFqdn, c.mode === 'guide' ? c.xfpFqdn : c.xftpFqdn, ...(c.turn ? [c.turnFqdn] : [])]; },
        certName: (ctx) => ctx.host,
        email: setting((c) => c.acmeEmail),
        server: setting((c) => c.acmeServer),
        // coturn runs as turnserver and cannot read certbot's root-only keys: install copies it can.
        deployHook: (ctx) => {
          const c = s(ctx);
          if (!c.turn) return undefined;
          const live = `/etc/letsencrypt/live/${ctx.host}`;
          const install = (f: string) => shellJoin(['install', '-D', '-m', '0640', '-o', 'root', '-g', 'turnserver', `${live}/${f}`, `${c.turnCertDir}/${f}`]);
          return `${install('fullchain.pem')} && ${install('privkey.pem')}`;
        },
      })),
      task('renew certificates nightly', cron({
        name: 'certbot renew',
        minute: '0',
        hour: '3',
        job: (ctx) => (withTurn(ctx) ? 'certbot renew --quiet && systemctl restart coturn' : 'certbot renew --quiet'),
      })),

      task('coturn configuration', template({ src: 'templates/turnserver.conf.hbs', dest: '/etc/turnserver.conf', vars: setting((c) => ({ ...c })), owner: 'root', group: 'turnserver', mode: '0640' }), { when: withTurn, notify: 'restart coturn' }),
      task('coturn log folder', file({ path: '/var/log/turnserver', state: 'directory', owner: 'turnserver', group: 'turnserver', mode: '0750' }), { when: withTurn, notify: 'restart coturn' }),
      task('coturn running', systemd({ unit: 'coturn', enabled: true, state: 'started' }), { when: withTurn }),

      task('smp answers', waitFor({ port: setting((c) => c.smpPort), timeout: 60 })),
      task('xfp answers', waitFor({ port: setting((c) => c.xfpPort), timeout: 60 }), { when: isGuide }),
      task('xftp answers', waitFor({ port: setting((c) => c.xftpPort), timeout: 60 }), { when: isUpstream }),
      task('smp fingerprint', readFile({ path: setting((c) => `${c.smpDataDir}/fingerprint`) }), { when: isGuide, register: 'smpFingerprint' }),
      task('xfp fingerprint', readFile({ path: setting((c) => `${c.xfpDataDir}/fingerprint`) }), { when: isGuide, register: 'xfpFingerprint' }),
      task('relay addresses', debug({
        msg: (ctx) => {
          const c = s(ctx);
          const fp = (r: string) => String(ctx.registered[r]?.output.content ?? '').trim() || '(fingerprint known once the server has started)';
          return `paste into SimpleX: smp://${fp('smpFingerprint')}@${c.smpFqdn}:${c.smpPort}  xftp://${fp('xfpFingerprint')}@${c.xfpFqdn}:${c.xfpPort}`;
        },
      }), { when: isGuide }),
      ...upstreamAddresses(),
    ],
    handlers: [
      handler('restart ssh', systemd({ unit: 'ssh', state: 'restarted' })),
      handler('restart fail2ban', systemd({ unit: 'fail2ban', state: 'restarted' })),
      handler('restart smp', systemd({ unit: 'smp', state: 'restarted' })),
      handler('restart xfp', systemd({ unit: 'xfp', state: 'restarted' })),
      handler('restart smp-server', systemd({ unit: 'smp-server', state: 'restarted' })),
      handler('restart xftp-server', systemd({ unit: 'xftp-server', state: 'restarted' })),
      handler('restart coturn', systemd({ unit: 'coturn', state: 'restarted' })),
    ],
  }),
);
