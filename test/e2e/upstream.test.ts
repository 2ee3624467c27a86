// relay.ts and upgrade.ts in upstream mode on fresh lab relays (relay1..relay3,
// inventory/lab-upstream.ts; the release binaries are the lab's stand-ins, see
// test/fixtures/releases/simplexmq/README.md). One deployment, shared by the tests in order:
// the dry run says init will run and lists exactly what the real run changes; each relay prints
// the addresses a client pastes; from outside, as clients would, the SMP and XFTP ports present
// the CA of the printed fingerprint, coturn allocates over TLS with Pebble's certificate for the
// configured user only, only the opened ports answer, root and password SSH are refused; a changed
// FQDN is refused instead of re-initialising; an upgrade keeps every fingerprint and the outside
// view; an upgrade to a release that cannot start is rolled back on the first relay.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { assertDryMatchesReal, engine, pairs, type CliResult } from '../integration/engine-cli.ts';
import { ensureLab, freshHosts } from '../integration/lab-fixture.ts';
import { hostAddress, labPaths, publishReleases } from '../lab/index.ts';
import { batchWindows } from './upgrade-fleet.ts';
import { probe, simplexIdentity, sshLogin, sudo, turnAllocate, verifiedTls } from './client-probes.ts';

const RELAYS = ['relay1', 'relay2', 'relay3'] as const;
type Relay = (typeof RELAYS)[number];
const RELAY_PB = 'playbooks/relay.ts';
const UPGRADE_PB = 'playbooks/upgrade.ts';
const INVENTORY = 'inventory/lab-upstream.ts';
const PEBBLE_ROOT = join(labPaths.dir, 'pebble', 'issuer-root.pem');
const ADDRESS_DIR = join(labPaths.dir, 'addresses');
const INIT = {
  smp: 'smp-server init (once: only while /etc/opt/simplex/smp-server.ini does not exist)',
  xftp: 'xftp-server init (once: only while /etc/opt/simplex-xftp/file-server.ini does not exist)',
};
const GUARD = 'smp-server is the server the inventory describes';
const SWAP = 'swap in through the units, start, check version and identity (roll back on failure)';
const ROLL = 'roll the new version across the relays';
/** inventory/lab-upstream.ts's secrets: relay1 is a private relay, relay2 and relay3 open ones. */
const SECRETS = { smp: 'lab-smp-relay1-pw', xftp: 'lab-xftp-relay1-pw', turn: 'lab-turn-relay1-pw' };
const ADDRESS = /(smp|xftp):\/\/([A-Za-z0-9_-]{43}=)(:\*\*\*)?@([a-z0-9.-]+)(?::(\d+))?/g;

const ok = (r: CliResult, code = 0) => assert.equal(r.code, code, `${r.stdout.slice(-3000)}${r.stderr}`);
const said = (r: CliResult, host: string, text: string) => r.events.some((e) => e.type === 'message' && e.host === host && e.text === text);
const result = (r: CliResult, host: string, task: string) => r.events.find((e) => e.type === 'task.result' && e.host === host && e.task === task);

/** The addresses a relay printed: scheme -> fingerprint, masked password, host, port. */
function printed(r: CliResult, relay: Relay) {
  const text = r.events.find((e) => e.type === 'message' && e.host === relay && String(e.text).startsWith('paste into SimpleX: '))?.text as string;
  assert.ok(text?.startsWith('paste into SimpleX: '), `${relay} printed its addresses: ${text}`);
  const out: Record<string, { fingerprint: string; masked: boolean; host: string; port?: string; text: string }> = {};
  for (const m of text.matchAll(ADDRESS)) out[m[1]!] = { fingerprint: m[2]!, masked: m[3] !== undefined, host: m[4]!, port: m[5], text: m[0] };
  assert.deepEqual(Object.keys(out).sort(), ['smp', 'xftp'], text);
  return out;
}

const fileFingerprint = async (relay: Relay, etc: string) => (await sudo(relay, `head -n1 ${etc}/fingerprint`)).stdout.trim();

/** Everything a client (and an attacker) sees of the fleet from outside. */
async function fromOutside(fingerprints: Record<Relay, { smp: string; xftp: string }>): Promise<void> {
  const pebbleRoot = readFileSync(PEBBLE_ROOT);
  await Promise.all(
    RELAYS.map(async (relay) => {
      const address = hostAddress(relay);
      // SMP and XFTP: the chain ends in the CA whose fingerprint the printed address carries.
      for (const [scheme, port] of [['smp', 5223], ['xftp', 443]] as const) {
        const id = await simplexIdentity(address, port);
        assert.equal(id.fingerprint, fingerprints[relay][scheme], `${relay}:${port} (${scheme}) presents the CA of the printed fingerprint`);
        assert.match(id.leafSubject, new RegExp(`CN=${scheme}\\.${relay}\\.lab\\.test`));
      }
      // Only the opened ports answer: every port the relay listens on, plus a few it does not.
      const opened = new Set([22, 5223, 443, 80, ...(relay === 'relay1' ? [3478, 5349] : [])]);
      const listening = new Set(
        (await sudo(relay, 'ss -Hltn')).stdout.split('\n').filter(Boolean).map((l) => Number(l.trim().split(/\s+/)[3]!.split(':').pop())),
      );
      for (const p of [22, 5223, 443]) assert.ok(listening.has(p), `${relay} listens on ${p}`);
      const ports = [...new Set([...listening, ...opened, 9999, 5224, 8000])];
      const states = await Promise.all(ports.map(async (p) => [p, (await probe(address, p)).state] as const));
      for (const [p, state] of states) {
        if (!opened.has(p)) assert.equal(state, 'timeout', `${relay}:${p} is not opened, yet it ${state === 'open' ? 'answers' : 'refuses'}`);
        else if (listening.has(p)) assert.equal(state, 'open', `${relay}:${p} is opened and listened on`);
        else assert.equal(state, 'refused', `${relay}:${p} is opened (nothing listens: the host itself refuses)`);
      }
      // SSH: root and passwords refused, deploy with its key gets in.
      const root = await sshLogin(relay, 'root', ['-i', labPaths.privateKey]);
      assert.equal(root.ok, false, `${relay}: root logged in`);
      assert.match(root.stderr, /Permission denied/);
      const password = await sshLogin(relay, 'deploy', ['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive']);
      assert.equal(password.ok, false);
      assert.match(password.stderr, /Permission denied \(publickey\)/, 'the server offers public keys only');
      assert.equal((await sshLogin(relay, 'deploy', ['-i', labPaths.privateKey])).ok, true);
    }),
  );
  // TURN over TLS on relay1: Pebble's certificate for the TURN name, an allocation for the configured
  // user, none for a wrong password.
  const address = hostAddress('relay1');
  const leaf = await verifiedTls(address, 5349, 'turn.relay1.lab.test', pebbleRoot);
  const certbot = new X509Certificate((await sudo('relay1', 'cat /etc/letsencrypt/live/relay1/cert.pem')).stdout);
  assert.ok(leaf.equals(certbot.raw), 'coturn presents the certificate certbot obtained');
  const good = turnAllocate(address, 5349, 'simplex', SECRETS.turn, PEBBLE_ROOT);
  assert.ok(good.ok, `a TURN allocation for the configured user:\n${good.output.slice(-2000)}`);
  assert.match(good.relayed!, new RegExp(`^${address.replace(/\./g, '\\.')}:\\d+$`), 'the relayed address is on relay1');
  const wrong = turnAllocate(address, 5349, 'simplex', 'not-the-password', PEBBLE_ROOT);
  assert.equal(wrong.ok, false, `a wrong password is refused:\n${wrong.output.slice(-2000)}`);
  assert.match(wrong.output, /Cannot complete Allocation/);
}

describe('relay.ts and upgrade.ts in upstream mode on fresh lab relays', { timeout: 1_800_000 }, () => {
  const fingerprints = {} as Record<Relay, { smp: string; xftp: string }>;
  let real: CliResult;

  before(async () => {
    await ensureLab();
    publishReleases();
    rmSync(ADDRESS_DIR, { recursive: true, force: true });
    await freshHosts(...RELAYS);
  });

  test('fresh relays: the dry run says init will run and lists exactly what the real run changes; then nothing, and init will not run', async () => {
    const dry = await engine(['run', RELAY_PB, '-i', INVENTORY, '--check', '--json']);
    ok(dry);
    for (const relay of RELAYS) {
      const init = result(dry, relay, INIT.smp);
      assert.equal(init?.status, 'changed', `${relay}: the dry run says smp-server init will run`);
      assert.deepEqual(init.changes.map((c: any) => c.after), [`runuser -u smp -- /usr/local/bin/smp-server init --yes --fqdn smp.${relay}.lab.test --no-password --disable-web`]);
      assert.equal(result(dry, relay, INIT.xftp)?.status, 'changed');
      assert.ok(said(dry, relay, 'smp-server init will run: /etc/opt/simplex/smp-server.ini does not exist'));
    }
    real = await engine(['run', RELAY_PB, '-i', INVENTORY, '--json', '-v']);
    ok(real);
    assertDryMatchesReal(dry, real, 'the dry run listed what the real run changed');
    // The passwords never travel in a command line or show in any output.
    for (const secret of Object.values(SECRETS)) assert.ok(!real.stdout.includes(secret) && !real.stderr.includes(secret), 'no secret in the output');
    const inits = real.events.filter((e) => e.type === 'command' && /smp-server' 'init'|smp-server init/.test(String(e.command)));
    assert.ok(inits.length === RELAYS.length && inits.every((e) => String(e.command).includes('--no-password')), `init ran once per relay, with --no-password: ${inits.map((e) => e.command).join('\n')}`);

    const again = await engine(['run', RELAY_PB, '-i', INVENTORY, '--json']);
    ok(again);
    assert.deepEqual(pairs(again, 'changed'), [], 'the second run changes nothing');
    const dry2 = await engine(['run', RELAY_PB, '-i', INVENTORY, '--check', '--json']);
    ok(dry2);
    for (const relay of RELAYS) {
      const init = result(dry2, relay, INIT.smp);
      assert.equal(init?.status, 'ok');
      assert.equal(init.msg, 'skipped, since /etc/opt/simplex/smp-server.ini exists', `${relay}: the dry run says init will not run`);
      assert.ok(said(dry2, relay, 'smp-server init will not run: /etc/opt/simplex/smp-server.ini exists (init runs once per server)'));
      assert.ok(said(dry2, relay, 'xftp-server init will not run: /etc/opt/simplex-xftp/file-server.ini exists (init runs once per server)'));
    }
    ok(await engine(['check', RELAY_PB, '-i', INVENTORY]));
  });

  test('each relay prints the addresses a client pastes, from its fingerprint files; the passwords only where asked', async () => {
    for (const relay of RELAYS) {
      const a = printed(real, relay);
      fingerprints[relay] = { smp: await fileFingerprint(relay, '/etc/opt/simplex'), xftp: await fileFingerprint(relay, '/etc/opt/simplex-xftp') };
      assert.equal(a.smp!.fingerprint, fingerprints[relay].smp);
      assert.equal(a.xftp!.fingerprint, fingerprints[relay].xftp);
      assert.notEqual(fingerprints[relay].smp, fingerprints[relay].xftp, 'each server has its own CA');
      assert.equal(a.smp!.host, `smp.${relay}.lab.test`);
      assert.equal(a.xftp!.host, `xftp.${relay}.lab.test`);
      assert.equal(a.smp!.port, undefined, 'the default ports are left out (5223, 443)');
      assert.equal(a.xftp!.port, undefined);
      assert.equal(a.smp!.masked, relay === 'relay1', `${relay}: a password shows as ***`);
      const ini = await sudo(relay, "stat -c '%U:%G %a' /etc/opt/simplex/smp-server.ini; grep -E '^(create_password|port|host) *=' /etc/opt/simplex/smp-server.ini");
      const expected = relay === 'relay1' ? `smp:smp 640\ncreate_password = ${SECRETS.smp}\nhost = smp.${relay}.lab.test\nport = 5223` : `smp:smp 640\nhost = smp.${relay}.lab.test\nport = 5223`;
      assert.equal(ini.stdout.trim(), expected);
      const user = await sudo(relay, 'for u in smp-server xftp-server; do ps -o user= -p "$(systemctl show -P MainPID $u)"; done');
      assert.equal(user.stdout.trim(), 'smp\nxftp', `${relay}: each server runs as its own user`);
    }
    // relay1's full addresses: in a root-only file on the relay and in the controller's addressDir, nowhere else.
    const full = `smp://${fingerprints.relay1.smp}:${SECRETS.smp}@smp.relay1.lab.test\nxftp://${fingerprints.relay1.xftp}:${SECRETS.xftp}@xftp.relay1.lab.test\n`;
    const onRelay = await sudo('relay1', "stat -c '%U:%G %a' /etc/opt/simplex-info/addresses; cat /etc/opt/simplex-info/addresses");
    assert.equal(onRelay.stdout, `root:root 600\n${full}`);
    const local = join(ADDRESS_DIR, 'relay1.addresses');
    assert.equal(readFileSync(local, 'utf8'), full);
    assert.equal((statSync(local).mode & 0o777).toString(8), '600');
  });

  test('from outside, as clients would: SMP and XFTP identities, TURN over TLS, only the opened ports, no root or password SSH', async () => {
    await fromOutside(fingerprints);
  });

  test('the inventory names another FQDN: no re-init, dry run or real, naming the ini and how to re-key', async () => {
    const args = ['run', RELAY_PB, '-i', INVENTORY, '--limit', 'relay2', '-e', 'smpFqdn=smp.renamed.lab.test', '--json'];
    for (const r of [await engine([...args, '--check']), await engine(args)]) {
      ok(r, 3);
      const failed = r.events.filter((e) => e.type === 'task.result' && e.status === 'failed');
      assert.deepEqual(failed.map((e) => `${e.host} ${e.task}`), [`relay2 ${GUARD}`]);
      const msg = failed[0].msg as string;
      assert.match(msg, /refusing to initialise smp-server again on relay2: \/etc\/opt\/simplex\/smp-server\.ini says host = smp\.relay2\.lab\.test, the inventory's smpFqdn is smp\.renamed\.lab\.test/);
      assert.match(msg, /smp-server cert --cn smp\.renamed\.lab\.test/, 'how to rename keeping the identity');
      assert.match(msg, /To re-key deliberately .*systemctl stop smp-server, move \/etc\/opt\/simplex aside/, 'how to re-key deliberately');
      assert.deepEqual(pairs(r, 'changed'), [], 'nothing changed');
      assert.equal(result(r, 'relay2', INIT.smp), undefined, 'init was never reached');
    }
    assert.equal(await fileFingerprint('relay2', '/etc/opt/simplex'), fingerprints.relay2.smp, 'the identity is untouched');
    assert.match((await sudo('relay2', 'systemctl is-active smp-server; grep "^host" /etc/opt/simplex/smp-server.ini')).stdout, /^active\nhost = smp\.relay2\.lab\.test$/m);
  });

  test('upgrade to v6.5.2: staged by sha256, swapped through the units one relay at a time, version and identity checked; again nothing', async () => {
    const args = ['run', UPGRADE_PB, '-i', INVENTORY, '-e', 'simplexVersion=v6.5.2', '--json'];
    const version = (relay: Relay) => sudo(relay, '/usr/local/bin/smp-server -v | cut -d" " -f1-3; /usr/local/bin/xftp-server -v | cut -d" " -f1-4');
    const dry = await engine([...args, '--check']);
    ok(dry);
    for (const relay of RELAYS) {
      const swap = result(dry, relay, SWAP);
      assert.equal(swap?.status, 'changed');
      assert.ok(swap.changes.every((c: any) => /^sha256:[0-9a-f]{12}$/.test(c.after)), 'the dry run knows the pinned checksums');
      assert.equal((await version(relay)).stdout, 'SMP server v6.4.5.1\nSimpleX XFTP server v6.4.5.1\n', 'a dry run changes nothing');
    }
    const up = await engine(args);
    ok(up);
    assert.deepEqual(pairs(up, 'changed'), pairs(dry, 'changed'));
    assert.deepEqual(batchWindows(up.events, ROLL).map((w) => w.hosts), [['relay1'], ['relay2'], ['relay3']], 'one relay at a time');
    for (const relay of RELAYS) {
      assert.equal((await version(relay)).stdout, 'SMP server v6.5.2.0\nSimpleX XFTP server v6.5.2.0\n');
      assert.equal((await sudo(relay, '/usr/local/bin/smp-server.prev -v | cut -d" " -f1-3')).stdout, 'SMP server v6.4.5.1\n', 'the previous binary is kept');
      assert.deepEqual({ smp: await fileFingerprint(relay, '/etc/opt/simplex'), xftp: await fileFingerprint(relay, '/etc/opt/simplex-xftp') }, fingerprints[relay], `${relay}: the upgrade keeps the identities`);
      // Stopped through the units: the stop script backed the store logs up.
      const backups = await sudo(relay, 'ls /var/opt/simplex/backups/queues /var/opt/simplex-xftp/backups/queues');
      assert.match(backups.stdout, /smp-server-store\.log\.\d{4}-\d\d-\d\dT/);
      assert.match(backups.stdout, /file-server-store\.log\.\d{4}-\d\d-\d\dT/);
    }
    const again = await engine(args);
    ok(again);
    assert.deepEqual(pairs(again, 'changed'), [], 'the same version again changes nothing');
    assert.deepEqual(pairs(again, 'ok').filter((p) => p.endsWith(SWAP)), RELAYS.map((r) => `${r} ${SWAP}`), 'each relay is still checked');
  });

  test('after the upgrade, from outside: the same identities, TURN, ports and SSH', async () => {
    await fromOutside(fingerprints);
  });

  test('an upgrade to a release that cannot start: the first relay is rolled back and the rollout stops', async () => {
    // A short health check: the stand-in of a release that cannot start exits at once.
    const r = await engine(['run', UPGRADE_PB, '-i', INVENTORY, '-e', 'simplexVersion=v9.9.9-cannot-start', '-e', 'upgradeTimeout=8', '--json']);
    ok(r, 3);
    const failed = r.events.filter((e) => e.type === 'task.result' && e.status === 'failed');
    assert.deepEqual(failed.map((e) => `${e.host} ${e.task}`), [`relay1 ${SWAP}`]);
    assert.match(failed[0].msg, /health check failed \(.*\): rolled back to the previous binaries, which answer/);
    assert.deepEqual(batchWindows(r.events, ROLL).map((w) => w.hosts), [['relay1']], 'no batch after the failed one');
    for (const relay of RELAYS) {
      const state = await sudo(relay, 'systemctl is-active smp-server xftp-server; /usr/local/bin/smp-server -v | cut -d" " -f1-3');
      assert.equal(state.stdout, 'active\nactive\nSMP server v6.5.2.0\n', `${relay} serves v6.5.2`);
      const id = await simplexIdentity(hostAddress(relay), 5223);
      assert.equal(id.fingerprint, fingerprints[relay].smp, `${relay} keeps its identity`);
    }
  });
});
