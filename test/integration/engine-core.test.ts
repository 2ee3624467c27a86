// The engine core on real lab hosts: the dry run lists exactly what the real run changes, a second
// run changes nothing, a converged play costs one round trip per host, unreachable hosts do not
// stop the others, host keys are enforced, secrets never leak, and bad input touches no host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine, pairs, recap } from './engine-cli.ts';
import { ensureLab, freshHosts } from './lab-fixture.ts';
import { becomePassword, sshRun } from '../lab/index.ts';

const PB = 'test/fixtures/playbooks';
const TOKEN = 'tok-9d1c7f3e-secret-value';
const env = { CORE_API_TOKEN: TOKEN };
let paths: Awaited<ReturnType<typeof ensureLab>>;
let tmp: string;

describe('engine core on lab hosts', { timeout: 900_000 }, () => {
  before(async () => {
    paths = await ensureLab();
    await freshHosts('relay1', 'relay2');
    tmp = mkdtempSync(join(tmpdir(), 'ss-core-'));
  });

  test('dry run on fresh hosts lists exactly what the real run changes; then nothing is pending', async () => {
    const limit = ['--limit', 'relay1,relay2'];
    const dry = await engine(['run', `${PB}/core.ts`, '-i', paths.inventory, '--check', '--json', ...limit], { env });
    assert.equal(dry.code, 0, dry.stderr + dry.stdout);
    assert.deepEqual(pairs(dry, 'failed'), [], 'the dry run fails no task (the user the directory needs is predicted)');
    const predicted = pairs(dry, 'changed');
    assert.ok(predicted.includes('relay1 app dir'), 'the directory owned by the not-yet-created user is planned');
    assert.ok(predicted.includes('relay1 handler note restart'), 'the handler the template notifies is planned');

    const real = await engine(['run', `${PB}/core.ts`, '-i', paths.inventory, '--json', '--log', join(tmp, 'run.log'), ...limit], { env });
    assert.equal(real.code, 0, real.stderr + real.stdout);
    assert.deepEqual(pairs(real, 'changed'), predicted);
    assert.equal(pairs(real, 'changed').length, 2 * 9, 'eight tasks and one handler changed on each host');

    const owner = await sshRun('relay1', 'stat -c %U:%G:%a /srv/app /srv/app/app.conf', { user: 'root', check: true });
    assert.equal(owner.stdout.trim(), 'appuser:appuser:750\nroot:appuser:640');
    const conf = await sshRun('relay1', 'cat /srv/app/app.conf /srv/app/config.txt /srv/app/settings.ini; readlink /srv/app/current', { user: 'root', check: true });
    assert.match(conf.stdout, new RegExp(`token = ${TOKEN}`), 'the secret reaches the host');
    assert.match(conf.stdout, /host = relay1/);
    assert.match(conf.stdout, /workers=2\ndebug=false\n\/srv\/app\/config.txt/);

    const again = await engine(['run', `${PB}/core.ts`, '-i', paths.inventory, '--json', ...limit], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(pairs(again, 'changed'), [], 'the second run changes nothing');

    const check = await engine(['check', `${PB}/core.ts`, '-i', paths.inventory, ...limit], { env });
    assert.equal(check.code, 0, `engine check on converged hosts exits 0:\n${check.stdout}${check.stderr}`);
  });

  test('engine check exits 2 when a host drifted, and shows the diff', async () => {
    await sshRun('relay1', "sed -i 's/workers=2/workers=9/' /srv/app/config.txt", { user: 'root', check: true });
    const check = await engine(['check', `${PB}/core.ts`, '-i', paths.inventory, '--limit', 'relay1'], { env });
    assert.equal(check.code, 2, check.stdout + check.stderr);
    assert.match(check.stdout, /-workers=9/);
    assert.match(check.stdout, /\+workers=2/);
    const fix = await engine(['run', `${PB}/core.ts`, '-i', paths.inventory, '--limit', 'relay1', '--json'], { env });
    assert.deepEqual(pairs(fix, 'changed'), ['relay1 config file']);
  });

  test('secrets appear nowhere: stdout, --json, the log file, diffs', async () => {
    const pw = becomePassword();
    assert.ok(pw.length >= 8);
    await sshRun('relay2', 'rm -f /srv/app/app.conf', { user: 'root', check: true });
    const human = await engine(['run', `${PB}/core.ts`, '-i', paths.inventory, '--limit', 'relay2', '--diff', '-v', '--log', join(tmp, 'secret.log')], { env });
    const json = await engine(['run', `${PB}/core.ts`, '-i', paths.inventory, '--limit', 'relay2', '--check', '--diff', '--json', '-v'], { env });
    const log = readFileSync(join(tmp, 'secret.log'), 'utf8') + readFileSync(join(tmp, 'run.log'), 'utf8');
    assert.match(human.stdout, /app conf from template/);
    assert.ok(log.includes('"type":"command"'), 'the log file holds the commands run');
    for (const [name, text] of Object.entries({ stdout: human.stdout + human.stderr, json: json.stdout + json.stderr, log })) {
      assert.ok(!text.includes(TOKEN), `the template secret leaked into ${name}`);
      assert.ok(!text.includes(pw), `the become password leaked into ${name}`);
    }
  });

  test('a converged 20-task play costs exactly one SSH exec per host: the host lock, which reads the facts', async () => {
    const first = await engine(['run', `${PB}/converged20.ts`, '-i', paths.inventory, '--limit', 'relay1,relay2', '--json']);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const second = await engine(['run', `${PB}/converged20.ts`, '-i', paths.inventory, '--limit', 'relay1,relay2', '--json', '-v']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(pairs(second, 'ok').length, 40);
    // The lock (held for the run, one channel), which reads the facts once held: nothing else reaches the host.
    assert.deepEqual(recap(second).roundTrips, { relay1: 1, relay2: 1 });
    const commands = second.events.filter((e) => e.type === 'command');
    assert.deepEqual(commands.map((e) => `${e.host} ${e.command.split(':')[0]}`).sort(), [
      'relay1 lock /run/shipshape/lock (exclusive), then gather facts', 'relay2 lock /run/shipshape/lock (exclusive), then gather facts',
    ]);
  });

  test('an unreachable host is reported and the others complete', async () => {
    const inv = join(tmp, 'with-ghost.yml');
    const base = readFileSync(paths.inventory, 'utf8');
    writeFileSync(inv, base.replace(/^hosts:\n/m, 'hosts:\n  ghost: { address: 10.77.0.250 }\n').replace(/relays: \{ hosts: \[/, 'relays: { hosts: [ghost, '));
    const res = await engine(['run', `${PB}/converged20.ts`, '-i', inv, '--limit', 'ghost,relay1', '--json', '--timeout', '3']);
    assert.equal(res.code, 4, res.stdout + res.stderr);
    const r = recap(res);
    assert.equal(r.hosts.ghost.unreachable, 1);
    assert.equal(r.hosts.relay1.ok, 20);
    assert.ok(res.events.some((e) => e.type === 'host.unreachable' && e.host === 'ghost'));
  });

  test('a changed host key is refused with both fingerprints', async () => {
    const kh = join(tmp, 'known_hosts');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(tmp, 'impostor')]);
    const impostor = readFileSync(join(tmp, 'impostor.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const address = readFileSync(paths.inventory, 'utf8').match(/relay1: \{ address: ([\d.]+)/)![1];
    writeFileSync(kh, `${address} ${impostor}\n`);
    const real = execFileSync('ssh-keygen', ['-lf', paths.knownHosts]).toString();
    const res = await engine(['run', `${PB}/converged20.ts`, '-i', paths.inventory, '--limit', 'relay1', '--known-hosts', kh]);
    assert.equal(res.code, 4, res.stdout + res.stderr);
    const impostorFp = execFileSync('ssh-keygen', ['-lf', join(tmp, 'impostor.pub')]).toString().split(' ')[1];
    assert.ok(res.stdout.includes(impostorFp), `the recorded fingerprint ${impostorFp} is shown:\n${res.stdout}`);
    const realFp = real.split('\n').find((l) => l.includes(address))!.split(' ')[1];
    assert.ok(res.stdout.includes(realFp), `the presented fingerprint ${realFp} is shown:\n${res.stdout}`);
    assert.equal(readFileSync(kh, 'utf8'), `${address} ${impostor}\n`, 'the known_hosts file is not rewritten');
  });

  test('an unknown host key is refused unless --accept-new-host-keys, which records it', async () => {
    const kh = join(tmp, 'empty_known_hosts');
    writeFileSync(kh, '');
    const refused = await engine(['run', `${PB}/converged20.ts`, '-i', paths.inventory, '--limit', 'relay1', '--known-hosts', kh]);
    assert.equal(refused.code, 4, refused.stdout);
    assert.match(refused.stdout, /accept-new-host-keys/);
    const accepted = await engine(['run', `${PB}/converged20.ts`, '-i', paths.inventory, '--limit', 'relay1', '--known-hosts', kh, '--accept-new-host-keys']);
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    assert.match(readFileSync(kh, 'utf8'), /ssh-ed25519 /);
    const strict = await engine(['run', `${PB}/converged20.ts`, '-i', paths.inventory, '--limit', 'relay1', '--known-hosts', kh]);
    assert.equal(strict.code, 0, 'the recorded key is then trusted');
  });

  test('a playbook with three mistakes reports all three and touches no host', async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const inv = join(tmp, 'trap.yml');
    writeFileSync(inv, `hosts:\n  trap: { address: 127.0.0.1, port: ${port} }\n`);
    const res = await engine(['run', `${PB}/mistakes.ts`, '-i', inv]);
    server.close();
    assert.equal(res.code, 5, res.stdout + res.stderr);
    const lines = res.stderr.split('\n').filter((l) => l.trim().startsWith('- '));
    assert.equal(lines.length, 3, res.stderr);
    assert.match(lines[0], /mistakes\.ts: play 'broken' > task 'unknown param': field 'colour'/);
    assert.match(lines[1], /mistakes\.ts: play 'broken' > task 'wrong type': field 'mode'/);
    assert.match(lines[2], /mistakes\.ts: play 'broken' > task 'missing variable': field 'src': .*missing-var\.hbs.*listenAddress/);
    assert.equal(connections, 0, 'no connection was attempted');
  });
});
