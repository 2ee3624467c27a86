// The parsers of fileFact, userFact and groupFact, on output as the host prints it.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseFileFact } from '../../../engine/facts/file.ts';
import { groupFact, parseGroup, parseUser, userFact } from '../../../engine/facts/user.ts';

describe('fileFact parser', () => {
  it('absent', () => {
    assert.equal(parseFileFact('/x', 'absent\n', 0).exists, false);
  });

  it('a regular file with content', () => {
    const out = `type=regular file\nmode=640\nowner=app\ngroup=adm\nuid=1000\ngid=4\nsize=4\nsha256=${'a'.repeat(64)}\ncontent\n${Buffer.from('hé\n').toString('base64')}\n`;
    assert.deepEqual(parseFileFact('/x', out, 0), {
      exists: true, type: 'file', mode: '0640', owner: 'app', group: 'adm', size: 4, sha256: 'a'.repeat(64), linkTarget: null, content: 'hé\n',
    });
  });

  it('an empty file is a file with empty content', () => {
    const f = parseFileFact('/x', 'type=regular empty file\nmode=644\nowner=root\ngroup=root\nuid=0\ngid=0\nsize=0\nsha256=e3b0\ncontent\n', 0);
    assert.equal(f.type, 'file');
    assert.equal(f.content, '');
  });

  it('an owner without a name is its uid; setuid modes keep four digits', () => {
    const f = parseFileFact('/x', 'type=directory\nmode=2775\nowner=UNKNOWN\ngroup=UNKNOWN\nuid=1234\ngid=5678\nsize=4096\n', 0);
    assert.equal(f.owner, '1234');
    assert.equal(f.group, '5678');
    assert.equal(f.mode, '2775');
    assert.equal(f.content, undefined);
  });

  it('content split over base64 lines; invalid UTF-8 gives no content', () => {
    const text = 'x'.repeat(200);
    const wrapped = Buffer.from(text).toString('base64').replace(/(.{76})/g, '$1\n');
    assert.equal(parseFileFact('/x', `type=regular file\nsize=200\ncontent\n${wrapped}\n`, 0).content, text);
    assert.equal(parseFileFact('/x', `type=regular file\nsize=2\ncontent\n${Buffer.from([0xc3, 0x28]).toString('base64')}\n`, 0).content, undefined);
  });

  it('a link: type and target', () => {
    const f = parseFileFact('/x', 'type=symbolic link\nmode=777\nowner=root\ngroup=root\nuid=0\ngid=0\nsize=5\ntarget=../a b\n', 0);
    assert.equal(f.type, 'link');
    assert.equal(f.linkTarget, '../a b');
  });

  it('a stat failure is an error, not a wrong fact', () => {
    assert.throws(() => parseFileFact('/x', '', 1), /cannot read the state of \/x/);
  });
});

describe('user and group parsers', () => {
  it('a user with groups', () => {
    assert.deepEqual(parseUser('app', 'app:x:1000:1000:App,,,:/srv/app:/usr/sbin/nologin\napp adm\n'), {
      exists: true, name: 'app', uid: 1000, gid: 1000, home: '/srv/app', shell: '/usr/sbin/nologin', comment: 'App,,,', groups: ['app', 'adm'],
    });
  });

  it('a missing user', () => {
    assert.deepEqual(parseUser('ghost', ''), { exists: false, name: 'ghost', uid: null, gid: null, home: null, shell: null });
  });

  it('a uid resolves to the name', () => {
    assert.equal(parseUser('0', 'root:x:0:0:root:/root:/bin/bash\nroot\n').name, 'root');
  });

  it('groups with and without members', () => {
    assert.deepEqual(parseGroup('adm', 'adm:x:4:syslog,app\n'), { exists: true, name: 'adm', gid: 4, members: ['syslog', 'app'] });
    assert.deepEqual(parseGroup('app', 'app:x:1000:\n'), { exists: true, name: 'app', gid: 1000, members: [] });
    assert.equal(parseGroup('none', '').exists, false);
  });

  it('the key is user:NAME and the name is quoted in the script', () => {
    const f = userFact("a'b");
    assert.equal(f.key, "user:a'b");
    assert.match(f.script, /getent passwd -- 'a'\\''b'/);
  });

  it('a name starting with a dash is a name for getent, not options (-sfiles read as -s files listed root)', () => {
    // The controller's own getent, read only: a user or group nobody has must read as absent.
    for (const fact of [userFact('-sfiles'), groupFact('-sfiles')]) {
      const out = execFileSync('/bin/sh', ['-c', fact.script], { env: { PATH: '/usr/bin:/bin' } }).toString();
      assert.equal((fact.parse(out, 0) as { exists: boolean }).exists, false, `${fact.key}: ${JSON.stringify(out.slice(0, 80))}`);
    }
  });
});
