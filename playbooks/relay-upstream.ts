// Upstream mode's servers: simplexmq's release binaries with its own users, folders, units and stop
// script, each server initialised exactly once. Every task runs only `when: isUpstream`.
//
// From simplexmq's sources (github.com/simplex-chat/simplexmq):
// - folders: smp-server keeps its config, CA and `fingerprint` in /etc/opt/simplex and its state
//   (store log) in /var/opt/simplex; xftp-server in /etc/opt/simplex-xftp and /var/opt/simplex-xftp
//   (apps/smp-server/Main.hs, apps/xftp-server/Main.hs: defaultCfgPath, defaultLogPath); the ini
//   files are smp-server.ini and file-server.ini (src/Simplex/Messaging/Server/Main.hs and
//   src/Simplex/FileTransfer/Server/Main.hs, iniFile). install.sh creates the users smp and xftp,
//   these folders and /srv/xftp for the files, owned by the server's user.
// - init (Server/Main.hs, smpServerCLI_ and initP; FileTransfer/Server/Main.hs, initP): refuses
//   when the ini exists; otherwise clears the config and state folders (clearDirIfExists), makes a
//   new CA and server certificate with the openssl command (Server/CLI.hs, createServerX509_) and
//   writes the fingerprint and the ini. A second init is a new identity: every client's address
//   stops matching. So it runs only while the ini does not exist, and the playbook refuses (never
//   re-inits) when the server it finds is not the one the inventory describes.
// - smp-server init takes a password only in argv (`--password PASSWORD`, where any local user's
//   `ps` sees it) or at an interactive prompt, and defaults to a random one; xftp-server init takes
//   none. Both servers read it from their ini's [AUTH] create_password (Server/Main.hs and
//   FileTransfer/Server/Main.hs, serverConfig), so init runs with --no-password and the password is
//   written into the ini like any other secret file content (engine write, never in argv).
// - smp-server init's default ini runs a TLS web page on 443 with web.crt/web.key that nothing
//   provides ([WEB] https, Server/Main/Init.hs; scripts/smp-server-linode.sh passes --disable-web for
//   this reason), and listens on 5223 and 443 (defaultServerPorts), which xftp-server (443,
//   defaultServerPort) also wants: the playbook inits with --disable-web and sets each ini's
//   [TRANSPORT] port to the inventory's smpPort and xftpPort.
import { task, type Task } from '../engine/playbook/define.ts';
import type { HostContext } from '../engine/module.ts';
import { secret } from '../engine/secret.ts';
import { assert, command, copy, debug, fetch, file, getUrl, lineinfile, readFile, systemd, template, user } from '../modules/index.ts';
import { fullAddress, shownAddress, type Scheme } from './relay-address.ts';
import { releaseBinary, type Server } from './relay-release.ts';
import { isUpstream, relaySettings, type RelaySettings } from './relay-settings.ts';

export interface Layout {
  server: Server;
  scheme: Scheme;
  user: string;
  etc: string;
  state: string;
  ini: string;
  /** xftp-server's file storage (init -p). */
  files?: string;
  description: string;
}

export const LAYOUT: Record<Server, Layout> = {
  'smp-server': { server: 'smp-server', scheme: 'smp', user: 'smp', etc: '/etc/opt/simplex', state: '/var/opt/simplex', ini: '/etc/opt/simplex/smp-server.ini', description: 'SMP server' },
  'xftp-server': { server: 'xftp-server', scheme: 'xftp', user: 'xftp', etc: '/etc/opt/simplex-xftp', state: '/var/opt/simplex-xftp', ini: '/etc/opt/simplex-xftp/file-server.ini', files: '/srv/xftp', description: 'XFTP server' },
};

export const BIN = '/usr/local/bin';
/** The [TRANSPORT] port init writes: Server/Main/Init.hs, defaultServerPorts; FileTransfer/Server/Main.hs, defaultServerPort. */
const INIT_PORTS: Record<Server, string> = { 'smp-server': '5223,443', 'xftp-server': '443' };
export const STOP_SCRIPT = `${BIN}/simplex-servers-stopscript`;
/** Root-only: each relay's addresses with their passwords. */
export const ADDRESSES = '/etc/opt/simplex-info/addresses';

const s = (ctx: HostContext): RelaySettings => relaySettings(ctx);
const up = { when: isUpstream };

/** The inventory's view of one server. */
export function wanted(c: RelaySettings, server: Server) {
  return server === 'smp-server'
    ? { fqdn: c.smpFqdn, port: c.smpPort, password: c.smpPassword }
    : { fqdn: c.xftpFqdn, port: c.xftpPort, password: c.xftpPassword };
}

/** `key = value` of [section] in ini text (commented lines do not count). */
export function iniValue(text: string, section: string, key: string): string | undefined {
  let inSection = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inSection = line === `[${section}]`;
    else if (inSection && !line.startsWith('#') && !line.startsWith(';')) {
      const eq = line.indexOf('=');
      if (eq > 0 && line.slice(0, eq).trim() === key) return line.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** The init argv, run as the server's user (smp-server: Server/Main.hs initP; xftp-server: FileTransfer/Server/Main.hs initP). */
export function initArgv(c: RelaySettings, l: Layout): string[] {
  const bin = `${BIN}/${l.server}`;
  const { fqdn } = wanted(c, l.server);
  const init = l.server === 'smp-server'
    ? [bin, 'init', '--yes', '--fqdn', fqdn, '--no-password', '--disable-web']
    : [bin, 'init', '--fqdn', fqdn, '--path', l.files!, '--quota', c.xftpQuota];
  return ['runuser', '-u', l.user, '--', ...init];
}

const output = (ctx: HostContext, name: string) => ctx.registered[name]?.output as { exists?: boolean; content?: string } | undefined;

/**
 * Whether init may run or has run for the server the inventory describes: the named conditions of
 * the guard task. An identity (fingerprint) without its ini is a half-made server init would wipe;
 * an ini for another FQDN is a server the inventory no longer describes. Either way: refuse.
 */
export function initGuard(ctx: HostContext, l: Layout): { that: Record<string, boolean>; msg: string } {
  const c = s(ctx);
  const ini = output(ctx, `${l.server}:ini`);
  const fp = output(ctx, `${l.server}:identity`);
  const { fqdn } = wanted(c, l.server);
  const field = l.server === 'smp-server' ? 'smpFqdn' : 'xftpFqdn';
  const host = ini?.exists && ini.content !== undefined ? iniValue(ini.content, 'TRANSPORT', 'host') : undefined;
  const that = {
    [`${l.etc}/fingerprint has its ini ${l.ini} (init never runs over an existing identity)`]: !(fp?.exists && !ini?.exists),
    [`${l.ini} is for the inventory's ${field} ${fqdn}`]: host === undefined || host === fqdn,
  };
  const rename = l.server === 'smp-server' ? `smp-server cert --cn ${fqdn}` : `xftp-server cert --cn ${fqdn}`;
  const msg = [
    `refusing to initialise ${l.server} again on ${ctx.host}: ${l.ini} ${host !== undefined ? `says host = ${host}` : ini?.exists ? 'exists' : 'is missing'}, the inventory's ${field} is ${fqdn}.`,
    `init runs once per server: a second one makes a new CA, and the fingerprint in every client's ${l.scheme}:// address stops matching.`,
    `To keep the identity and only change the name: as ${l.user}, run \`${rename}\`, set host = ${fqdn} in ${l.ini}, systemctl restart ${l.server}, and run the playbook again.`,
    `To re-key deliberately (a new fingerprint; every client needs the new address): systemctl stop ${l.server}, move ${l.etc} aside (keep its ca.key until you are sure), and run the playbook again: init then runs on the empty folder.`,
  ].join(' ');
  return { that, msg };
}

/** One server: user, folders, binary, unit, the guarded one-time init, its ini settings, the service. */
export function upstreamServer(server: Server): Task[] {
  const l = LAYOUT[server];
  const restart = `restart ${server}`;
  const folders = [l.etc, l.state, ...(l.files ? [l.files] : [])];
  return [
    task(`${server} user`, user({ name: l.user, system: true, shell: '/usr/sbin/nologin', home: l.state, createHome: false }), up),
    ...folders.map((path) => task(`${server} folder ${path}`, file({ path, state: 'directory', owner: l.user, group: l.user, mode: '0750' }), up)),
    task(`${server} release binary`, getUrl({
      url: (ctx) => releaseBinary(s(ctx), ctx.facts, server).url,
      sha256: (ctx) => releaseBinary(s(ctx), ctx.facts, server).sha256,
      dest: `${BIN}/${server}`,
      mode: '0755',
      owner: 'root',
      group: 'root',
    }), { ...up, notify: restart }),
    task(`${server} unit`, template({ src: 'templates/simplex-server.service.hbs', dest: `/etc/systemd/system/${server}.service`, vars: { server, user: l.user, description: l.description }, mode: '0644' }), { ...up, notify: restart }),
    task(`${server} ini before init`, readFile({ path: l.ini }), { ...up, register: `${server}:ini` }),
    task(`${server} identity before init`, readFile({ path: `${l.etc}/fingerprint` }), { ...up, register: `${server}:identity` }),
    task(`${server} is the server the inventory describes`, assert({ that: (ctx) => initGuard(ctx, l).that, msg: (ctx) => initGuard(ctx, l).msg }), up),
    // Said in every run, dry or real (the init task's own 'skipped' shows only with -v).
    task(`${server} init, once`, debug({
      msg: (ctx) => (output(ctx, `${server}:ini`)?.exists
        ? `${server} init will not run: ${l.ini} exists (init runs once per server)`
        : `${server} init will run: ${l.ini} does not exist`),
    }), up),
    task(`${server} init (once: only while ${l.ini} does not exist)`, command({
      argv: (ctx) => initArgv(s(ctx), l),
      creates: l.ini,
      chdir: l.state,
      produces: [`${l.etc}/fingerprint`],
    }), up),
    // On a fresh host (in a dry run, before init has written the ini) these edits are known only
    // once the ini exists. So that the dry run still says exactly what the real run changes, each
    // one leaves a line init never writes: the port edit is skipped where the port is init's own
    // default (a fresh xftp-server on 443), and the password line is the secret or a comment of ours.
    task(`${server} port`, lineinfile({
      path: l.ini,
      regexp: '^port\\s*=',
      line: (ctx) => `port = ${wanted(s(ctx), server).port}`,
    }), { when: (ctx) => isUpstream(ctx) && (String(wanted(s(ctx), server).port) !== INIT_PORTS[server] || Boolean(output(ctx, `${server}:ini`)?.exists)), notify: restart }),
    task(`${server} password`, lineinfile({
      path: l.ini,
      regexp: '^#?\\s*create_password\\s*=',
      line: (ctx) => {
        const pw = wanted(s(ctx), server).password;
        return pw ? secret(`create_password = ${pw.reveal()}`) : `# create_password = (not set: ${server === 'smp-server' ? 'anyone may create queues' : 'anyone may upload files'}; playbooks/relay.ts)`;
      },
      owner: l.user,
      group: l.user,
      // The ini holds the password: not for other local users.
      mode: '0640',
    }), { ...up, notify: restart }),
    task(`${server} service`, systemd({ unit: server, enabled: true, state: 'started', daemonReload: true }), up),
  ];
}

/** The stop script both units run after a stop (templates/simplex-servers-stopscript.hbs). */
export const stopScript = task('simplex-servers-stopscript', template({ src: 'templates/simplex-servers-stopscript.hbs', dest: STOP_SCRIPT, vars: { keep: 10, skip: 11 }, owner: 'root', group: 'root', mode: '0755' }), up);

const fingerprintOf = (ctx: HostContext, server: Server) => String(output(ctx, `${server}:fingerprint`)?.content ?? '').trim();

/** The relay's addresses: as printed (passwords masked) or in full. */
export function relayAddresses(ctx: HostContext, full: boolean): string[] {
  const c = s(ctx);
  return (['smp-server', 'xftp-server'] as const).map((server) => {
    const w = wanted(c, server);
    const fp = fingerprintOf(ctx, server) || '(fingerprint known once init has run)';
    return (full ? fullAddress : shownAddress)(LAYOUT[server].scheme, fp, w.fqdn, w.port, w.password);
  });
}

const hasPassword = (c: RelaySettings) => c.smpPassword !== undefined || c.xftpPassword !== undefined;

/** The end of the play: fingerprints read, the addresses printed, and kept in full where the operator asked. */
export function upstreamAddresses(): Task[] {
  return [
    task('smp-server fingerprint', readFile({ path: `${LAYOUT['smp-server'].etc}/fingerprint` }), { ...up, register: 'smp-server:fingerprint' }),
    task('xftp-server fingerprint', readFile({ path: `${LAYOUT['xftp-server'].etc}/fingerprint` }), { ...up, register: 'xftp-server:fingerprint' }),
    task('addresses folder', file({ path: '/etc/opt/simplex-info', state: 'directory', owner: 'root', group: 'root', mode: '0755' }), up),
    task('addresses, with their passwords (root only)', copy({
      dest: ADDRESSES,
      content: (ctx) => {
        const text = `${relayAddresses(ctx, true).join('\n')}\n`;
        return hasPassword(s(ctx)) ? secret(text) : text;
      },
      owner: 'root',
      group: 'root',
      mode: '0600',
    }), up),
    task('addresses to the controller', fetch({ src: ADDRESSES, dest: (ctx) => `${s(ctx).addressDir}/${ctx.host}.addresses`, mode: '0600' }), {
      when: (ctx) => isUpstream(ctx) && s(ctx).addressDir !== undefined,
    }),
    task('relay addresses', debug({
      msg: (ctx) => {
        const c = s(ctx);
        const where = c.addressDir ? `${ADDRESSES} on the relay and ${c.addressDir}/${ctx.host}.addresses` : `${ADDRESSES} on the relay`;
        return `paste into SimpleX: ${relayAddresses(ctx, false).join('  ')}${hasPassword(c) ? `  (passwords shown as ***; the full addresses: ${where})` : ''}`;
      },
    }), up),
  ];
}
