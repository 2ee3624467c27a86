// relay.ts's upstream mode without a host: which release asset a host runs, the pins an inventory
// must hold (inventory/example.ts's placeholders are refused, by the engine too, before it connects
// anywhere), the addresses as simplexmq writes them, init's argv (no password in it), the guard
// that refuses a second init, and the sshd edit that matches the directive only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HostContext, TaskOutput } from '../../engine/module.ts';
import { EMPTY_BASE_FACTS } from '../../engine/facts/base.ts';
import { secret } from '../../engine/secret.ts';
import { editLines } from '../../modules/lineinfile/lineinfile.ts';
import example from '../../inventory/example.ts';
import relayPlaybook, { PASSWORD_AUTHENTICATION } from '../../playbooks/relay.ts';
import { FINGERPRINT, serverAddress, shownAddress } from '../../playbooks/relay-address.ts';
import { hostPinProblem, platformOf, releaseBinary, releaseProblems, versionLine } from '../../playbooks/relay-release.ts';
import { relaySettings } from '../../playbooks/relay-settings.ts';
import { initArgv, initGuard, iniValue, LAYOUT } from '../../playbooks/relay-upstream.ts';
import { engine } from '../integration/engine-cli.ts';

const SUM = 'a'.repeat(64);
const debian12 = { ...EMPTY_BASE_FACTS, os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian 12' }, arch: 'x86_64' };
const pinned = { mode: 'upstream', simplexVersion: 'v6.4.5', simplexSha256: { 'v6.4.5': { 'smp-server-ubuntu-22_04-x86-64': SUM, 'xftp-server-ubuntu-22_04-x86-64': SUM.toUpperCase() } } };
const settings = (vars: Record<string, unknown>) => relaySettings({ host: 'relay1', vars });

describe('upstream release pins', () => {
  it('the platform: Debian 12 runs the Ubuntu 22.04 build, Debian 13 the 24.04 one; x86-64 and aarch64 only', () => {
    assert.deepEqual(platformOf(debian12), { platform: 'ubuntu-22_04-x86-64' });
    assert.deepEqual(platformOf({ ...debian12, arch: 'aarch64' }), { platform: 'ubuntu-22_04-aarch64' });
    assert.deepEqual(platformOf({ ...debian12, os: { ...debian12.os, versionId: '13' } }), { platform: 'ubuntu-24_04-x86-64' });
    assert.match((platformOf({ ...debian12, arch: 'riscv64' }) as { error: string }).error, /no build for the riscv64 architecture/);
    assert.match((platformOf({ ...debian12, os: { ...debian12.os, id: 'fedora' } }) as { error: string }).error, /simplexPlatform/);
    assert.deepEqual(platformOf({ ...debian12, arch: 'riscv64' }, 'ubuntu-22_04-aarch64'), { platform: 'ubuntu-22_04-aarch64' });
  });

  it("inventory/example.ts's placeholders are refused, each naming its variable", () => {
    const vars = { ...example.vars, ...example.hosts!.relay1!.vars };
    const problems = releaseProblems(settings(vars));
    assert.deepEqual(problems.map((p) => p.split(' is ')[0]), [
      "vars.simplexSha256['v6.4.5']['smp-server-ubuntu-22_04-x86-64']",
      "vars.simplexSha256['v6.4.5']['xftp-server-ubuntu-22_04-x86-64']",
    ]);
    assert.match(problems[0]!, /not a sha256 \(64 hex digits\): copy it from the SHA2-256\(ASSET\)= lines of the release text of v6\.4\.5/);
  });

  it('what is missing is named: the version, the checksums, a version, a server, a pinned platform; bad passwords', () => {
    assert.match(releaseProblems(settings({}))[0]!, /^vars\.simplexVersion is not set/);
    assert.match(releaseProblems(settings({ simplexVersion: 'v6.4.5' }))[0]!, /^vars\.simplexSha256 is not set: upstream mode downloads nothing without a pinned checksum/);
    assert.match(releaseProblems(settings({ ...pinned, simplexVersion: 'v6.5.2' }))[0]!, /^vars\.simplexSha256\['v6\.5\.2'\] is not set/);
    assert.match(releaseProblems(settings({ ...pinned, simplexVersion: 'latest' }))[0]!, /'latest' is not a release tag/);
    const smpOnly = { ...pinned, simplexSha256: { 'v6.4.5': { 'smp-server-ubuntu-22_04-x86-64': SUM } } };
    assert.deepEqual(releaseProblems(settings(smpOnly)), ["vars.simplexSha256['v6.4.5'] pins no xftp-server binary: add vars.simplexSha256['v6.4.5']['xftp-server-ubuntu-22_04-x86-64']"]);
    assert.deepEqual(releaseProblems(settings({ ...pinned, simplexPlatform: 'ubuntu-24_04-x86-64' })), [
      "vars.simplexSha256['v6.4.5']['smp-server-ubuntu-24_04-x86-64'] is not pinned",
      "vars.simplexSha256['v6.4.5']['xftp-server-ubuntu-24_04-x86-64'] is not pinned",
    ]);
    assert.match(releaseProblems(settings({ ...pinned, smpPassword: secret('a@b') }))[0]!, /vars\.smpPassword must be printable ASCII without spaces/);
    assert.deepEqual(releaseProblems(settings({ ...pinned, smpPassword: secret('s3cret!') })), []);
  });

  it("a host's binary: URL and pinned sha256 (lower case); a platform without pins is named", () => {
    const c = settings(pinned);
    assert.deepEqual(releaseBinary(c, debian12, 'xftp-server'), {
      url: 'https://github.com/simplex-chat/simplexmq/releases/download/v6.4.5/xftp-server-ubuntu-22_04-x86-64',
      sha256: SUM,
    });
    assert.equal(hostPinProblem(c, debian12), undefined);
    assert.match(hostPinProblem(c, { ...debian12, arch: 'aarch64' })!, /runs the ubuntu-22_04-aarch64 binaries, and vars\.simplexSha256\['v6\.4\.5'\]\['smp-server-ubuntu-22_04-aarch64'\] and .*xftp-server-ubuntu-22_04-aarch64'\] are not pinned/);
  });

  it('the version a binary reports for a tag', () => {
    assert.equal(versionLine('smp-server', 'v6.4.5'), 'SMP server v6.4.5');
    assert.equal(versionLine('xftp-server', 'v7.0.0-beta.2'), 'SimpleX XFTP server v7.0.0');
  });

  it('the engine refuses the placeholders before it connects to any host (exit 5, the variable named)', async () => {
    const r = await engine(['run', 'playbooks/relay.ts', '-i', 'test/fixtures/inventory/upstream-placeholders.ts', '--check', '--json']);
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stderr, /task 'the release is pinned': .*vars\.simplexSha256\['v6\.4\.5'\]\['smp-server-ubuntu-22_04-x86-64'\] is "PASTE/);
    assert.ok(!r.events.some((e) => e.type === 'host.connected' || e.type === 'host.unreachable'), 'no host was contacted');
    const none = await engine(['run', 'playbooks/upgrade.ts', '-i', 'test/fixtures/inventory/upstream-placeholders.ts', '-e', 'simplexVersion=v6.5.2', '--check']);
    assert.equal(none.code, 5);
    assert.match(none.stderr, /vars\.simplexSha256\['v6\.5\.2'\] is not set/);
  });
});

describe('upstream addresses and init', () => {
  const fp = 'HT3-AZMsPfyg_guA4kM51wQ6r-C8LeDrGAi_0nEEsBE=';
  it('SCHEME://FINGERPRINT[:PASSWORD]@HOST[:PORT], the default port left out', () => {
    assert.match(fp, FINGERPRINT);
    assert.equal(serverAddress('smp', fp, 'smp.example.com', 5223), `smp://${fp}@smp.example.com`);
    assert.equal(serverAddress('smp', fp, 'smp.example.com', 443), `smp://${fp}@smp.example.com:443`);
    assert.equal(serverAddress('xftp', fp, 'xftp.example.com', 443, 'pw'), `xftp://${fp}:pw@xftp.example.com`);
    assert.equal(shownAddress('smp', fp, 'smp.example.com', 5223, secret('pw')), `smp://${fp}:***@smp.example.com`);
  });

  it("init runs as the server's user with the inventory's FQDN, and no password in its argv", () => {
    const c = settings({ ...pinned, smpFqdn: 'smp1.example.com', xftpFqdn: 'xftp1.example.com', smpPassword: secret('topsecret') });
    assert.deepEqual(initArgv(c, LAYOUT['smp-server']), ['runuser', '-u', 'smp', '--', '/usr/local/bin/smp-server', 'init', '--yes', '--fqdn', 'smp1.example.com', '--no-password', '--disable-web']);
    assert.deepEqual(initArgv(c, LAYOUT['xftp-server']), ['runuser', '-u', 'xftp', '--', '/usr/local/bin/xftp-server', 'init', '--fqdn', 'xftp1.example.com', '--path', '/srv/xftp', '--quota', '10gb']);
  });

  const ctx = (registered: Record<string, Partial<TaskOutput['output']>>, vars: Record<string, unknown> = {}): HostContext => ({
    host: 'relay1',
    groups: ['relays'],
    vars: { ...pinned, smpFqdn: 'smp1.example.com', ...vars },
    facts: debian12,
    registered: Object.fromEntries(Object.entries(registered).map(([k, output]) => [k, { status: 'ok', changed: false, output }])),
  });
  const ini = (host: string) => `[AUTH]\nnew_queues = on\n\n[TRANSPORT]\n# host = not-this\nhost = ${host}\nport = 5223\n`;

  it('ini values: [section] key, commented lines ignored', () => {
    assert.equal(iniValue(ini('smp1.example.com'), 'TRANSPORT', 'host'), 'smp1.example.com');
    assert.equal(iniValue(ini('x'), 'AUTH', 'host'), undefined);
  });

  it('the guard: a fresh host or the same server pass; another FQDN, or an identity without its ini, is refused with how to re-key', () => {
    const l = LAYOUT['smp-server'];
    const holds = (c: HostContext) => Object.values(initGuard(c, l).that).every(Boolean);
    assert.ok(holds(ctx({ 'smp-server:ini': { exists: false }, 'smp-server:identity': { exists: false } })), 'a fresh host');
    assert.ok(holds(ctx({ 'smp-server:ini': { exists: true, content: ini('smp1.example.com') }, 'smp-server:identity': { exists: true } })), 'the same server');
    const renamed = ctx({ 'smp-server:ini': { exists: true, content: ini('smp1.example.com') }, 'smp-server:identity': { exists: true } }, { smpFqdn: 'smp2.example.com' });
    assert.equal(holds(renamed), false);
    const msg = initGuard(renamed, l).msg;
    assert.match(msg, /\/etc\/opt\/simplex\/smp-server\.ini says host = smp1\.example\.com, the inventory's smpFqdn is smp2\.example\.com/);
    assert.match(msg, /smp-server cert --cn smp2\.example\.com/);
    assert.match(msg, /To re-key deliberately .* move \/etc\/opt\/simplex aside/);
    assert.equal(holds(ctx({ 'smp-server:ini': { exists: false }, 'smp-server:identity': { exists: true } })), false, 'a fingerprint without its ini: init would wipe it');
  });
});

describe('sshd hardening', () => {
  // Debian 12's sshd_config, around its PasswordAuthentication lines.
  const SSHD_CONFIG = [
    '# To disable tunneled clear text passwords, change to no here!',
    '#PasswordAuthentication yes',
    '#PermitEmptyPasswords no',
    '',
    "# Set this to 'yes' to enable PAM authentication, account processing,",
    '# and session processing. If this is enabled, PAM authentication will',
    '# be allowed through the KbdInteractiveAuthentication and',
    '# PasswordAuthentication.  Depending on your PAM configuration,',
    '# PAM authentication via KbdInteractiveAuthentication may bypass',
    '# If you just want the PAM account and session checks to run without',
    '# PAM authentication, then enable this but set PasswordAuthentication',
    "# and KbdInteractiveAuthentication to 'no'.",
    'UsePAM yes',
    '',
  ].join('\n');

  it("the 'no password login' edit replaces the directive, not the comment paragraph that names it", () => {
    const play = relayPlaybook.plays.find((p) => p.name === 'SimpleX relays')!;
    const edit = play.tasks.find((t) => t.name === 'no password login over SSH')!.call.params as { regexp: string; line: string };
    assert.equal(edit.regexp, PASSWORD_AUTHENTICATION);
    const out = editLines(SSHD_CONFIG, { regexp: edit.regexp, line: edit.line }).text;
    assert.equal(out, SSHD_CONFIG.replace('#PasswordAuthentication yes\n', 'PasswordAuthentication no\n'));
    assert.equal(editLines(out, { regexp: edit.regexp, line: edit.line }).text, out, 'and again changes nothing');
  });
});
