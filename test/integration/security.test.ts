// Root on a host whose users are hostile, for real (issue: writes that cannot be subverted or
// truncated). On a lab host an unprivileged user, mallory, races every write the engine makes into
// folders she owns: a watcher of hers swaps every temp file it sees for a link to a root-only file,
// turns the targets and ~/.ssh into links for moments. After many runs the root-only file must be
// untouched. Then a large write whose controller is killed mid-stream: the target holds the old
// content or the new, never a prefix, and no temp file is left.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine, REPO } from './engine-cli.ts';
import { ensureLab, freshHosts } from './lab-fixture.ts';
import { labPaths, sshRun } from '../lab/index.ts';
import { quote } from '../../engine/quote.ts';
import { HOSTILE } from '../unit/injection/hostile.ts';

// SECURITY_HOST: another lab host, for a run beside tests that hold node2.
const HOST = process.env.SECURITY_HOST ?? 'node2';
const root = async (cmd: string) => (await sshRun(HOST, cmd, { user: 'root' })).stdout;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** mallory's watcher: POSIX sh, as fast as a shell loop goes. Counts what it swapped in ~/swaps. */
const WATCHER = String.raw`cd /home/mallory || exit 1
n=0
while [ ! -e /tmp/watch.stop ]; do
  n=$((n+1))
  for f in drop/.*.shipshape-* drop/sub/.*.shipshape-* .ssh/.*.shipshape-*; do
    [ -e "$f" ] && [ ! -L "$f" ] || continue
    mv -f -- "$f" "$f.stolen" 2>/dev/null && ln -s /root/vault/secret "$f" 2>/dev/null && echo "$f" >> swaps
  done
  case $((n % 40)) in
    0) for t in drop/a.conf drop/b.conf drop/c.conf .ssh/authorized_keys; do
         mv -f -- "$t" "$t.real" 2>/dev/null; ln -s /root/vault/secret "$t" 2>/dev/null
       done
       sleep 0.02
       for t in drop/a.conf drop/b.conf drop/c.conf .ssh/authorized_keys; do
         rm -f -- "$t"; mv -f -- "$t.real" "$t" 2>/dev/null
       done;;
    20) mv .ssh .ssh.real 2>/dev/null && ln -s /root/vault .ssh; mv drop/sub drop/sub.real 2>/dev/null && ln -s /root/vault drop/sub
       sleep 0.02
       rm -f .ssh drop/sub; mv .ssh.real .ssh 2>/dev/null; mv drop/sub.real drop/sub 2>/dev/null;;
  esac
  rm -f drop/.*.stolen drop/sub/.*.stolen .ssh/.*.stolen 2>/dev/null
done
`;

const VAULT = 'stat -c %U:%G:%a:%s /root/vault/secret; sha256sum /root/vault/secret; ls -A /root/vault; ls -A /etc/cron.d | sort';

describe('hostile users on a lab host', { timeout: 900_000 }, () => {
  let before_: string;
  let tmp: string;
  before(async () => {
    await ensureLab();
    await freshHosts(HOST);
    tmp = mkdtempSync(join(tmpdir(), 'ss-security-'));
    await root(
      [
        'useradd -m -s /bin/sh mallory',
        'install -d -o mallory -g mallory -m 0755 /home/mallory/drop /home/mallory/.ssh',
        'install -d -m 0700 /root/vault',
        'head -c 4096 /dev/urandom > /root/vault/secret && chmod 0600 /root/vault/secret',
      ].join(' && '),
    );
    before_ = await root(VAULT);
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('an unprivileged user racing every write into her folders never gets root to touch a root-only file', async () => {
    writeFileSync(join(tmp, 'watch.sh'), WATCHER);
    await sshRun(HOST, `cat > /tmp/watch.sh && chmod 0755 /tmp/watch.sh && rm -f /tmp/watch.stop`, { user: 'root', input: WATCHER });
    const pid = (await root('setpriv --reuid=mallory --regid=mallory --init-groups --reset-env sh /tmp/watch.sh </dev/null >/dev/null 2>&1 & echo $!')).trim();
    assert.match(pid, /^\d+$/);
    const runs = 24;
    const statuses: Record<string, number> = {};
    try {
      for (let i = 1; i <= runs; i++) {
        // A link the watcher got renamed into place stays there, and every later run then refuses
        // that target (rightly): take such links away between runs, so every run races afresh.
        await root('find /home/mallory -type l -delete 2>/dev/null; true');
        const r = await engine(['run', 'test/fixtures/playbooks/security/race.ts', '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', `stamp=${i}`]);
        assert.ok(r.code === 0 || r.code === 3, `run ${i}: exit ${r.code}\n${r.stderr}`);
        for (const e of r.events.filter((x) => x.type === 'task.result')) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
      }
    } finally {
      await root(`touch /tmp/watch.stop; sleep 0.5; kill ${pid} 2>/dev/null; true`);
    }
    const swaps = (await root('cat /home/mallory/swaps 2>/dev/null | wc -l')).trim();
    // The race was real: the watcher caught temp files under way, and most writes still got through.
    assert.ok(Number(swaps) > 0, `the watcher swapped no temp file in ${runs} runs: the test proved nothing (statuses ${JSON.stringify(statuses)})`);
    assert.ok((statuses.changed ?? 0) > runs, `writes got through: ${JSON.stringify(statuses)}`);
    assert.equal(await root(VAULT), before_, 'the root-only file, its folder and /etc/cron.d are untouched');
    // Once the attacks stop (and the links mallory planted are gone), the same playbook simply works.
    await root('find /home/mallory -type l -delete; find /home/mallory -name "*.real" -o -name "*.stolen" | xargs -r rm -rf');
    const calm = await engine(['run', 'test/fixtures/playbooks/security/race.ts', '-i', labPaths.inventory, '--limit', HOST, '--json', '-e', `stamp=${runs + 1}`]);
    assert.deepEqual(calm.events.filter((e) => e.type === 'task.result' && e.status === 'failed').map((e) => `${e.task}: ${e.msg}`), []);
    assert.equal(await root('find / -xdev -user mallory -perm -4000 2>/dev/null | wc -l'), '0\n', 'no setuid file of mallory anywhere');
    process.stdout.write(`# race: ${runs} runs, ${swaps} temp files swapped by the watcher, task statuses ${JSON.stringify(statuses)}\n`);
  });

  test('a large write whose controller is killed mid-stream leaves the old content or the new, never a prefix, and no temp file', async () => {
    const old = (await root('head -c 1000000 /dev/urandom | tee /srv/big | sha256sum')).split(' ')[0]!;
    const data = randomBytes(96 * 1024 * 1024);
    writeFileSync(join(tmp, 'big'), data);
    const pb = join(tmp, 'big.ts');
    writeFileSync(
      pb,
      [
        `import { play, playbook, task } from '${join(REPO, 'engine/playbook/define.ts')}';`,
        `import { copy } from '${join(REPO, 'modules/index.ts')}';`,
        `export default playbook(play({ name: 'big', hosts: 'all', become: true, tasks: [task('big file', copy({ dest: '/srv/big', src: 'big', mode: '0644' }))] }));`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, [join(REPO, 'engine', 'cli.mjs'), 'run', pb, '-i', labPaths.inventory, '--limit', HOST], { cwd: REPO, stdio: 'ignore' });
    // Kill it once the temp file is growing on the host.
    let seen = false;
    for (let i = 0; i < 300 && !seen; i++) {
      seen = (await root("find /srv -maxdepth 1 -name '.big.shipshape-*' -size +1M | head -n1")).trim() !== '';
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(seen, 'the write was under way when the controller was killed');
    let left = '';
    for (let i = 0; i < 50; i++) {
      left = await root("find /srv -maxdepth 1 -name '.big.shipshape-*'");
      if (left === '') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(left, '', 'no temp file left');
    const now = (await root('sha256sum /srv/big')).split(' ')[0];
    assert.ok(now === old || now === sha256(data), `the target is the old content or the new, not a prefix (sha256 ${now})`);
    assert.equal(now, old, 'killed mid-stream: the old content stays');
  });
});

describe('hostile values through real modules on a lab host', { timeout: 300_000 }, () => {
  const VALUES = HOSTILE.filter((v) => v.trim() !== '' && !['.', '-', '--'].includes(v));
  before(async () => {
    await ensureLab();
  });
  test('every literal arrives and is read back byte for byte; no payload ran', async () => {
    const r = await engine(['run', 'test/fixtures/playbooks/security/hostile.ts', '-i', labPaths.inventory, '--limit', HOST, '--json'], { env: { HOSTILE: JSON.stringify(VALUES) } });
    assert.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr);
    // Every file and line back, as JSON from the host (no shell between us and the bytes but cat).
    const names = (await root("cd /srv/hostile && for f in [0-9]*-*; do printf '%s\\0' \"$f\"; done")).split('\0').filter(Boolean);
    for (const [i, v] of VALUES.entries()) {
      const expectedName = `${i}-${v.replace(/\//g, '_')}`;
      assert.ok(names.includes(expectedName), `file named ${JSON.stringify(expectedName)}`);
      const content = (await sshRun(HOST, `cat -- ${quote(`/srv/hostile/${expectedName}`)}`, { user: 'root' })).stdout;
      assert.equal(content, `${v}\n`, `content of file ${i}`);
      const argv = (await sshRun(HOST, `cat -- /srv/hostile/argv-${i}`, { user: 'root' })).stdout;
      assert.equal(argv, v, `argv ${i} arrived as one argument, byte for byte`);
    }
    const lines = (await root('cat /srv/hostile/lines')).split('\n').filter(Boolean);
    assert.deepEqual(lines, VALUES.map((v, i) => `${i}:${v.replace(/[\n\r]/g, ' ')}`));
    assert.equal((await root('find / -xdev -name CANARY 2>/dev/null | head -n1')).trim(), '', 'no payload created a canary anywhere');
  });
});
