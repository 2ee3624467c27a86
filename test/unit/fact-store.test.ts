// The fact store's dry-run uncertainty: keys an earlier task changes in ways no plan predicts (a
// command, a package) are unsure until a later plan predicts them for sure.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FactStore } from '../../engine/facts/store.ts';

describe('FactStore.uncertain', () => {
  it('a dry-run invalidation makes matching keys unsure; a prediction makes one sure again, a guess does not', () => {
    const s = new FactStore();
    s.set('file:/srv/a', { exists: false });
    s.predict('file:/srv/b', { exists: true });
    assert.equal(s.uncertain('file:/srv/a'), false);
    s.invalidate(['*'], { keepPredicted: true });
    assert.equal(s.uncertain('file:/srv/a'), true, 'read before the command: the real run may find it changed');
    assert.equal(s.uncertain('file:/srv/b'), true, 'predicted before the command: the command may change it too');
    assert.equal(s.has('file:/srv/b'), true, 'kept in the dry run');
    s.predict('file:/srv/a', { exists: true });
    assert.equal(s.uncertain('file:/srv/a'), false, 'a later plan writes it: known again');
    s.predict('file:/srv/c', { exists: true }, { guess: true });
    assert.equal(s.uncertain('file:/srv/c'), true);
  });

  it('a real run never is unsure: its invalidations are read again from the host', () => {
    const s = new FactStore();
    s.set('procs:ops', []);
    s.invalidate(['procs:*']);
    assert.equal(s.has('procs:ops'), false);
    assert.equal(s.uncertain('procs:ops'), false);
  });
});
