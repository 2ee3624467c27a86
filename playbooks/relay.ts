// The SimpleX relay guide, end to end: a build machine compiles smp-server and xfp-server, the
// binaries go to each relay, the relay is hardened (sshd, UFW, fail2ban), each server gets its user,
// folders and systemd unit, coturn serves TURN over TLS where asked, certbot obtains certificates
// and renews them from cron. At the end each relay prints the addresses to paste into SimpleX.
//
//   npx tsx engine run playbooks/relay.ts -i inventory/example.ts --check --diff   # what would change
//   npx tsx engine run playbooks/relay.ts -i inventory/example.ts
//
// Settings and their defaults: playbooks/relay-settings.ts. Where the guide is wrong, the playbook
// does what works and says why in a comment next to it.
import { handler, play, playbook, task } from '../engine/playbook/define.ts';
import { shellJoin } from '../engine/quote.ts';
import {
  apt, assert, certbot, copy, cron, debug, file, getUrl, lineinfile, readFile, systemd, template, transfer, ufw, user, waitFor,
} from '../modules/index.ts';
import type { HostContext } from '../engine/module.ts';
import { relaySettings, setting, type RelaySettings } from './relay-settings.ts';
import { buildTasks, fromBuild } from './relay-build.ts';

const s = (ctx: HostContext): RelaySettings => relaySettings(ctx);
const withTurn = (ctx: HostContext) => s(ctx).turn;

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
    }), { when: (ctx) => !fromBuild(ctx), notify: `restart ${name}` }),
  ];
}

/** A server's system user, folders, unit and service. */
function server(name: 'smp' | 'xfp') {
  const userOf = (c: RelaySettings) => (name === 'smp' ? c.smpUser : c.xfpUser);
  const dataOf = (c: RelaySettings) => (name === 'smp' ? c.smpDataDir : c.xfpDataDir);
  const logOf = (c: RelaySettings) => (name === 'smp' ? c.smpLogDir : c.xfpLogDir);
  return [
    task(`${name} system user`, user({ name: setting(userOf), system: true, shell: '/usr/sbin/nologin', home: setting(dataOf), createHome: false })),
    task(`${name} data folder`, file({ path: setting(dataOf), state: 'directory', owner: setting(userOf), group: setting(userOf), mode: '0750' })),
    task(`${name} log folder`, file({ path: setting(logOf), state: 'directory', owner: setting(userOf), group: setting(userOf), mode: '0750' })),
    ...serverBinary(name),
    task(`${name} unit`, template({ src: `templates/${name}.service.hbs`, dest: `/etc/systemd/system/${name}.service`, vars: setting((c) => ({ ...c })), mode: '0644' }), { notify: `restart ${name}` }),
    // New unit files need daemon-reload (the guide says daemon-reexec, which is for upgrading systemd).
    task(`${name} service`, systemd({ unit: name, enabled: true, state: 'started', daemonReload: true })),
  ];
}

export default playbook(
  play({
    name: 'prerequisites',
    hosts: 'build:relays',
    become: true,
    tasks: [
      // Key-based SSH is a given: the engine authenticates with keys only (file or agent), never passwords.
      task('Debian 12 with at least 1 GiB of memory', assert({
        osId: 'debian',
        osVersion: '12',
        minMemoryMb: setting((c) => c.minMemoryMb),
        msg: 'the SimpleX relay guide needs Debian 12 and at least 1 GiB of memory',
      })),
    ],
  }),

  play({
    name: 'build the SimpleX servers',
    hosts: 'build',
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
        name: (ctx) => ['ufw', 'fail2ban', 'certbot', ...(withTurn(ctx) ? ['coturn'] : [])],
        cacheValidTime: 3600,
      })),

      // Hardening. The engine must then connect as a sudo user (the inventory's user, with become),
      // or the second run could not get in.
      task('no root login over SSH', lineinfile({ path: '/etc/ssh/sshd_config', regexp: '^#?\\s*PermitRootLogin\\b', line: 'PermitRootLogin no', validate: '/usr/sbin/sshd -t -f %s' }), { notify: 'restart ssh' }),
      task('no password login over SSH', lineinfile({ path: '/etc/ssh/sshd_config', regexp: '^#?\\s*PasswordAuthentication\\b', line: 'PasswordAuthentication no', validate: '/usr/sbin/sshd -t -f %s' }), { notify: 'restart ssh' }),
      // The guide edits sshd_config only, but sshd keeps the first value it reads and Debian's
      // sshd_config includes sshd_config.d/*.conf at its top: a drop-in there (cloud-init's
      // 50-cloud-init.conf turns passwords back on on many VPSs) wins. A drop-in read first settles it.
      task('SSH hardening read first', copy({
        dest: '/etc/ssh/sshd_config.d/00-hardening.conf',
        content: '# Managed by shipshape (playbooks/relay.ts): read before any other drop-in.\nPermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n',
        mode: '0644',
        validate: '/usr/sbin/sshd -t -f %s',
      }), { notify: 'restart ssh' }),
      // The guide allows only OpenSSH, which would leave the relay unreachable: open what its
      // prerequisites list (SMP, XFP, TURN), plus 80 for certbot's standalone challenge.
      task('firewall', ufw({
        default: { incoming: 'deny', outgoing: 'allow' },
        rules: (ctx) => {
          const c = s(ctx);
          return [
            { rule: 'allow' as const, port: c.sshPort, proto: 'tcp' as const, comment: 'ssh' },
            { rule: 'allow' as const, port: c.smpPort, proto: 'tcp' as const, comment: 'simplex smp' },
            { rule: 'allow' as const, port: c.xfpPort, proto: 'tcp' as const, comment: 'simplex xfp' },
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

      task('certificates', certbot({
        domains: (ctx) => { const c = s(ctx); return [c.smpFqdn, c.xfpFqdn, ...(c.turn ? [c.turnFqdn] : [])]; },
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
      task('xfp answers', waitFor({ port: setting((c) => c.xfpPort), timeout: 60 })),
      task('smp fingerprint', readFile({ path: setting((c) => `${c.smpDataDir}/fingerprint`) }), { register: 'smpFingerprint' }),
      task('xfp fingerprint', readFile({ path: setting((c) => `${c.xfpDataDir}/fingerprint`) }), { register: 'xfpFingerprint' }),
      task('relay addresses', debug({
        msg: (ctx) => {
          const c = s(ctx);
          const fp = (r: string) => String(ctx.registered[r]?.output.content ?? '').trim() || '(fingerprint known once the server has started)';
          return `paste into SimpleX: smp://${fp('smpFingerprint')}@${c.smpFqdn}:${c.smpPort}  xftp://${fp('xfpFingerprint')}@${c.xfpFqdn}:${c.xfpPort}`;
        },
      })),
    ],
    handlers: [
      handler('restart ssh', systemd({ unit: 'ssh', state: 'restarted' })),
      handler('restart fail2ban', systemd({ unit: 'fail2ban', state: 'restarted' })),
      handler('restart smp', systemd({ unit: 'smp', state: 'restarted' })),
      handler('restart xfp', systemd({ unit: 'xfp', state: 'restarted' })),
      handler('restart coturn', systemd({ unit: 'coturn', state: 'restarted' })),
    ],
  }),
);
