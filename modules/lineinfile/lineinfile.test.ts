import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { fileFact, fileKey } from '../../engine/facts/file.ts';
import { PrepareError } from '../../engine/module.ts';
import { PlanError, type WriteStep } from '../../engine/plan/types.ts';
import { isSecret, secret } from '../../engine/secret.ts';
import { editLines, lineinfile, type LineEdit } from './lineinfile.ts';
import { command } from '../command/command.ts';
import { aFile, guessed, nothingAt, planWith, predicted, sha256 } from '../../test/unit/modules/fake-facts.ts';

// [name, file text, edit, expected text]
const cases: Array<[string, string, LineEdit, string]> = [
  ['appends a missing line at the end', 'a\nb\n', { line: 'c' }, 'a\nb\nc\n'],
  ['a line already present is left alone', 'a\nc\nb\n', { line: 'c' }, 'a\nc\nb\n'],
  ['adds a newline to a last line without one before appending', 'a\nb', { line: 'c' }, 'a\nb\nc\n'],
  ['appends to an empty file', '', { line: 'c' }, 'c\n'],
  ['regexp: replaces the matching line', 'Port 22\nX 1\n', { regexp: '^#?Port ', line: 'Port 2222' }, 'Port 2222\nX 1\n'],
  ['regexp matching several lines: the last one is replaced', 'P=1\nx\nP=2\ny\n', { regexp: '^P=', line: 'P=9' }, 'P=1\nx\nP=9\ny\n'],
  ['firstmatch: the first one is replaced', 'P=1\nx\nP=2\n', { regexp: '^P=', line: 'P=9', firstmatch: true }, 'P=9\nx\nP=2\n'],
  ['regexp matches a line already equal: unchanged', 'P=9\n', { regexp: '^P=', line: 'P=9' }, 'P=9\n'],
  ['regexp matches nothing but the line exists: unchanged', 'a\nPermitRootLogin no\n', { regexp: '^#PermitRootLogin', line: 'PermitRootLogin no' }, 'a\nPermitRootLogin no\n'],
  ['regexp matches nothing: appended', 'a\n', { regexp: '^P=', line: 'P=9' }, 'a\nP=9\n'],
  ['insertafter: after the last matching line', '[a]\nx=1\n[a]\ny=1\n[b]\n', { line: 'z=1', insertafter: '^\\[a\\]' }, '[a]\nx=1\n[a]\nz=1\ny=1\n[b]\n'],
  ['insertafter with firstmatch: after the first', '[a]\nx=1\n[a]\n', { line: 'z=1', insertafter: '^\\[a\\]', firstmatch: true }, '[a]\nz=1\nx=1\n[a]\n'],
  ['insertafter not found: at the end', 'a\nb\n', { line: 'z', insertafter: '^nomatch' }, 'a\nb\nz\n'],
  ['insertafter EOF', 'a\n', { line: 'z', insertafter: 'EOF' }, 'a\nz\n'],
  ['insertafter the last line without a newline', 'a\nb', { line: 'z', insertafter: '^b' }, 'a\nb\nz\n'],
  ['insertbefore: before the last matching line', 'a\n# end\nb\n# end\n', { line: 'z', insertbefore: '^# end' }, 'a\n# end\nb\nz\n# end\n'],
  ['insertbefore BOF', 'a\n', { line: 'z', insertbefore: 'BOF' }, 'z\na\n'],
  ['insertafter BOF', 'a\n', { line: 'z', insertafter: 'BOF' }, 'z\na\n'],
  ['insertbefore not found: at the end', 'a\n', { line: 'z', insertbefore: '^nomatch' }, 'a\nz\n'],
  ['regexp match wins over insertafter', 'x\nP=1\n', { regexp: '^P=', line: 'P=2', insertafter: '^x' }, 'x\nP=2\n'],
  ['backrefs: groups expanded', 'ListenAddress 10.0.0.1:22\n', { regexp: '^ListenAddress (\\S+):\\d+$', line: 'ListenAddress \\1:2222', backrefs: true }, 'ListenAddress 10.0.0.1:2222\n'],
  ['backrefs with a Python named group', 'user = bob\n', { regexp: '^user = (?P<name>\\w+)$', line: 'owner = \\g<name>', backrefs: true }, 'owner = bob\n'],
  ['backrefs without a match: unchanged, nothing inserted', 'a\n', { regexp: '^nomatch(.*)', line: 'x\\1', backrefs: true }, 'a\n'],
  ['CRLF lines compare without their ending', 'a\r\nb\r\n', { line: 'b' }, 'a\r\nb\r\n'],
  ['a replaced CRLF line keeps its ending', 'a\r\nP=1\r\n', { regexp: '^P=', line: 'P=2' }, 'a\r\nP=2\r\n'],
  ['the matched last line without a newline gets one', 'a\nP=1', { regexp: '^P=', line: 'P=2' }, 'a\nP=2\n'],
  ['absent with regexp removes every match', 'P=1\nx\nP=2\n', { state: 'absent', regexp: '^P=' }, 'x\n'],
  ['absent with line removes every equal line', 'a\nb\na\n', { state: 'absent', line: 'a' }, 'b\n'],
  ['absent with nothing matching: unchanged', 'a\n', { state: 'absent', regexp: '^z' }, 'a\n'],
];

describe('lineinfile: editLines (Ansible semantics)', () => {
  for (const [name, before, edit, after] of cases) {
    it(name, () => assert.equal(editLines(before, edit).text, after));
  }

  it('says what it did', () => {
    assert.equal(editLines('a\n', { line: 'b' }).msg, 'line added');
    assert.equal(editLines('P=1\n', { regexp: '^P', line: 'P=2' }).msg, 'line replaced');
    assert.equal(editLines('P=1\nP=2\n', { state: 'absent', regexp: '^P' }).msg, '2 line(s) removed');
    assert.equal(editLines('a\n', { line: 'a' }).msg, '');
  });
});

const PATH = '/etc/ssh/sshd_config';

describe('lineinfile: plan', () => {
  it('a change with before/after text for the diff, a write, the predicted content', async () => {
    const plan = await planWith(lineinfile, { path: PATH, regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no', validate: 'sshd -t -f %s' }, aFile(PATH, 'Port 22\n#PermitRootLogin yes\n'));
    assert.equal(plan.changes.length, 1);
    assert.equal(plan.changes[0]!.what, 'line replaced');
    assert.deepEqual(plan.changes[0]!.text, { path: PATH, before: 'Port 22\n#PermitRootLogin yes\n', after: 'Port 22\nPermitRootLogin no\n' });
    assert.deepEqual(plan.steps, [{ kind: 'write', path: PATH, content: 'Port 22\nPermitRootLogin no\n', validate: 'sshd -t -f %s', replaces: sha256('Port 22\n#PermitRootLogin yes\n') }]);
    assert.equal(predicted(plan, fileFact(PATH))!.content, 'Port 22\nPermitRootLogin no\n');
    assert.equal(plan.msg, 'line replaced');
  });

  it('no change when converged', async () => {
    const plan = await planWith(lineinfile, { path: PATH, regexp: '^PermitRootLogin', line: 'PermitRootLogin no' }, aFile(PATH, 'PermitRootLogin no\n'));
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.steps, []);
  });

  it('converged text but a different mode: chmod only', async () => {
    const plan = await planWith(lineinfile, { path: PATH, line: 'a', mode: '0600' }, aFile(PATH, 'a\n'));
    assert.deepEqual(plan.steps, [{ kind: 'attrs', path: PATH, mode: '0600' }]);
  });

  it('missing file, create false: a PlanError, as in Ansible', async () => {
    await assert.rejects(planWith(lineinfile, { path: PATH, line: 'a' }, nothingAt(PATH)), (e: unknown) => e instanceof PlanError && /does not exist.*create/.test(e.message));
  });

  it('missing file, create true: its folder made, the file written with the line', async () => {
    const plan = await planWith(lineinfile, { path: '/etc/app dir/x.conf', line: 'a=1', create: true }, nothingAt('/etc/app dir/x.conf'));
    assert.deepEqual(plan.steps, [
      { kind: 'mkdir', path: '/etc/app dir' },
      { kind: 'write', path: '/etc/app dir/x.conf', content: 'a=1\n' },
    ]);
  });

  it('missing file with state absent: nothing to do', async () => {
    assert.deepEqual((await planWith(lineinfile, { path: PATH, regexp: 'x', state: 'absent' }, nothingAt(PATH))).changes, []);
  });

  it('a file it cannot read as text is a PlanError', async () => {
    await assert.rejects(planWith(lineinfile, { path: PATH, line: 'a' }, aFile(PATH, 'x', { content: undefined })), /256 KiB|not UTF-8/);
  });

  it('a file an earlier command of a dry run makes (creates): a change known once it exists, not a failure', async () => {
    // What the dry run carries forward from `command({ ..., creates: PATH })`: PATH exists, nothing else known.
    const init = await planWith(command, { argv: ['/usr/local/bin/smp-server', 'init'], creates: PATH }, nothingAt(PATH));
    const guess = guessed(init, fileFact(PATH))!;
    for (const params of [{ path: PATH, regexp: '^port\\s*=', line: 'port = 5223' }, { path: PATH, regexp: '^x', state: 'absent' }]) {
      const plan = await planWith(lineinfile, params, { [fileKey(PATH)]: guess });
      assert.deepEqual(plan.changes, [{ what: 'content', before: '(not written yet)', after: '(edited once an earlier task has made it)' }]);
      assert.match(plan.msg!, /made by an earlier task: its edit is known once it exists/);
      // A real run reads the file again after the command; the step only refuses should it ever run.
      assert.deepEqual((plan.steps[0] as { argv: string[] }).argv.slice(-1), [PATH]);
    }
    // A file that exists and cannot be read stays an error (it has a size and a mode; a guess has neither).
    await assert.rejects(planWith(lineinfile, { path: PATH, line: 'a' }, aFile(PATH, 'x', { content: undefined, sha256: null })), /256 KiB|not UTF-8/);
  });

  it('editing a file predicted from a secret keeps the change sensitive', async () => {
    const plan = await planWith(lineinfile, { path: PATH, line: 'b' }, aFile(PATH, 'token=abc\n', { sensitive: true }));
    assert.equal(plan.changes[0]!.sensitive, true);
    assert.equal(plan.changes[0]!.text, undefined);
    const content = (plan.steps[0] as WriteStep).content;
    assert.ok(isSecret(content), 'the new text may hold the old secret: it travels as a Secret');
    assert.equal(content.reveal(), 'token=abc\nb\n');
  });

  it('a secret line: written for real, the change sensitive, the secret in no change', async () => {
    const pw = secret('password=lineinfile-secret-99');
    const plan = await planWith(lineinfile, { path: PATH, regexp: '^password=', line: pw }, aFile(PATH, 'user=a\npassword=old\n'));
    assert.equal(plan.changes[0]!.sensitive, true);
    assert.doesNotMatch(JSON.stringify(plan.changes), /lineinfile-secret-99/);
    const content = (plan.steps[0] as WriteStep).content;
    assert.ok(isSecret(content));
    assert.equal(content.reveal(), 'user=a\npassword=lineinfile-secret-99\n');
    assert.equal(predicted(plan, fileFact(PATH))!.sensitive, true);
    const again = await planWith(lineinfile, { path: PATH, regexp: '^password=', line: pw }, aFile(PATH, 'user=a\npassword=lineinfile-secret-99\n'));
    assert.deepEqual(again.changes, [], 'converged');
  });

  it('param checks: line needed for present, one of insertafter/insertbefore, backrefs needs regexp, a bad regexp', async () => {
    const prepErr = (field: string) => (e: unknown) => e instanceof PrepareError && e.field === field;
    await assert.rejects(planWith(lineinfile, { path: PATH, regexp: 'x' }, {}), prepErr('line'));
    await assert.rejects(planWith(lineinfile, { path: PATH, line: 'x', insertafter: 'a', insertbefore: 'b' }, {}), prepErr('insertbefore'));
    await assert.rejects(planWith(lineinfile, { path: PATH, line: 'x', backrefs: true }, {}), prepErr('backrefs'));
    await assert.rejects(planWith(lineinfile, { path: PATH, line: 'x', regexp: '(' }, {}), prepErr('regexp'));
    await assert.rejects(planWith(lineinfile, { path: PATH, state: 'absent' }, {}), prepErr('regexp'));
  });
});
