// A secret never appears anywhere, in any encoding (issue 10's canary test). One canary is the
// become password of the login user, a user's password hash, a secret() template variable (the
// relay's coturn credential), a secret lineinfile line and a secret file content. A first run and a
// converged second run (and a dry run), all with -v --json --diff --log: the canary appears in none
// of stdout, stderr, the JSON lines or the log file, and sampling the target's process list and
// environments (/proc/*/cmdline, /proc/*/environ) every 50 ms during the runs never shows it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodedForms } from '../../engine/secret.ts';
import { leaksOf } from '../unit/canary.ts';
import { engine } from './engine-cli.ts';
import { ensureLab, freshHosts } from './lab-fixture.ts';
import { hostAddress, labPaths, sshRun } from '../lab/index.ts';

const HOST = 'node6';
const PB = 'test/fixtures/playbooks/security/canary.ts';
// Quotes, a backslash, $( ), blanks: what quoting and escaping get wrong. No ':' or newline, which a
// password for sudo and chpasswd cannot hold.
const CANARY = `Cnry"q'u\\o t$(id)-${randomBytes(6).toString('hex')}`;
const root = async (cmd: string, input?: string) => (await sshRun(HOST, cmd, { user: 'root', input })).stdout;

const SAMPLER = `rm -f /root/samples /root/sampler.stop
( while [ ! -e /root/sampler.stop ]; do cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null; printf '\\n@@sample@@\\n'; sleep 0.05; done ) > /root/samples 2>/dev/null </dev/null &
echo $!`;

describe('secrets on a lab host', { timeout: 600_000 }, () => {
  let tmp: string;
  let inventory: string;
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
    tmp = mkdtempSync(join(tmpdir(), 'ss-canary-'));
    // The login user's sudo password becomes the canary, given to the engine through the environment.
    await root('chpasswd', `deploy:${CANARY}\n`);
    inventory = join(tmp, 'inventory.yml');
    writeFileSync(
      inventory,
      [
        'defaults:',
        '  user: deploy',
        `  privateKey: ${labPaths.privateKey}`,
        `  knownHosts: ${labPaths.knownHosts}`,
        '  becomePassword: { env: CANARY }',
        'hosts:',
        `  ${HOST}: { address: ${hostAddress(HOST)} }`,
        '',
      ].join('\n'),
    );
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('in no output, log, diff or JSON, and never in the target\'s process list or environments', async () => {
    const sampler = (await root(SAMPLER)).trim();
    assert.match(sampler, /^\d+$/);
    const env = { CANARY };
    const args = (log: string, more: string[] = []) => ['run', PB, '-i', inventory, '-v', '--json', '--diff', '--log', join(tmp, log), ...more];
    const runs: Record<string, Awaited<ReturnType<typeof engine>>> = {};
    try {
      runs.dry = await engine(args('dry.log', ['--check']), { env });
      runs.first = await engine(args('first.log'), { env });
      runs.second = await engine(args('second.log'), { env });
      // The human view too (no --json), with diffs.
      runs.human = await engine(['run', PB, '-i', inventory, '-v', '--diff', '--check'], { env });
    } finally {
      await root('touch /root/sampler.stop; sleep 0.3');
    }
    assert.equal(runs.first!.code, 0, runs.first!.stdout + runs.first!.stderr);
    assert.deepEqual(runs.first!.events.filter((e) => e.type === 'task.result').map((e) => `${e.task}: ${e.status}`), [
      'user password: changed', 'TURN credential: changed', 'secret line: changed', 'secret file: changed',
    ]);
    assert.deepEqual(runs.second!.events.filter((e) => e.type === 'task.result' && e.status !== 'ok').map((e) => e.task), [], 'the second run is converged');
    // The canary did reach the host, where it belongs.
    assert.ok((await root('cat /etc/turnserver-canary.conf /etc/canary.conf /etc/canary-token; getent shadow canaryuser')).includes(CANARY));
    assert.equal(await root('stat -c %a /etc/canary-token /etc/canary.conf /etc/turnserver-canary.conf'), '600\n600\n600\n', 'new files holding a secret are 0600');

    const outputs: Record<string, string> = {};
    for (const [name, r] of Object.entries(runs)) {
      outputs[`${name} stdout`] = r.stdout;
      outputs[`${name} stderr`] = r.stderr;
    }
    for (const log of ['dry.log', 'first.log', 'second.log']) outputs[log] = readFileSync(join(tmp, log), 'utf8');
    assert.ok(outputs['first.log']!.includes('"type":"command"'), 'the log holds the commands run (-v)');
    for (const [name, text] of Object.entries(outputs)) assert.equal(leaksOf(CANARY, text), false, `the canary leaked into ${name}`);

    // The host's process list and environments, sampled every 50 ms: searched there, for the raw
    // canary and every encoding the engine masks.
    const samples = Number((await root("grep -c -a '^@@sample@@$' /root/samples")).trim());
    assert.ok(samples > 20, `the sampler ran (${samples} samples)`);
    const patterns = [CANARY, ...encodedForms(CANARY)].join('\n');
    const found = await sshRun(HOST, 'cat > /root/patterns && grep -a -c -F -f /root/patterns /root/samples; rm -f /root/patterns /root/samples', { user: 'root', input: `${patterns}\n` });
    assert.equal(found.stdout.trim(), '0', `the canary was in the process list or an environment on ${HOST}`);
    process.stdout.write(`# canary: ${samples} samples of ${HOST}'s processes, ${Object.keys(outputs).length} outputs searched\n`);
  });
});
