// The files channel (FileEffect, engine/run/file-marks.ts) as the engine keeps it from task to
// task: set by a content write, read by systemd, settled by its daemon-reload, forgotten with every
// fact in a real run, doubted in a dry run after a task whose outcome is unknown, reset for a task
// whose steps failed. Never in the fact store.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ABSENT_FILE, fileKey, keysUnder } from '../../engine/facts/file.ts';
import { FactStore } from '../../engine/facts/store.ts';
import { unitFact, unitFilePaths, type UnitFact } from '../../engine/facts/unit.ts';
import { EVERY_USER_PROCESSES } from '../../engine/facts/user.ts';
import type { ModuleDef } from '../../engine/module.ts';
import type { Plan } from '../../engine/plan/types.ts';
import { FileMarks } from '../../engine/run/file-marks.ts';
import { NO_PACKAGES } from '../../engine/run/package-effects.ts';
import { carryForward, forgetTouched, planTask, type Carried } from '../../engine/run/task-core.ts';
import { copy } from '../../modules/copy/copy.ts';
import { file } from '../../modules/file/file.ts';
import { systemd } from '../../modules/systemd/systemd.ts';
import { aFile, nothingAt, planWith } from './modules/fake-facts.ts';

const UNIT = '/etc/systemd/system/relay.service';
const DROP_IN = '/etc/systemd/system/relay.service.d/override.conf';
const DROP_INS = '/etc/systemd/system/relay.service.d';
const UNIT_TEXT = '[Service]\nExecStart=/usr/local/bin/relay\n[Install]\nWantedBy=multi-user.target\n';

const plan = (p: Partial<Plan> = {}): Plan => ({ changes: [], steps: [], ...p });
const writes = plan({ files: { written: [UNIT], writtenIn: ['/etc/systemd/system'] } });
const reloads = plan({ files: { settles: { written: [UNIT], writtenIn: [] } } });
const everything = plan({ invalidates: ['*'] });

function host(): Carried {
  return { facts: new FactStore(), files: new FileMarks(), packages: NO_PACKAGES };
}

/** What a plan would read of the marks now, and the doubts reading them brings. */
function seen(h: Carried, path = UNIT, dir = '/etc/systemd/system') {
  const doubts = new Set<string>();
  const r = h.files.reader(doubts);
  return { written: r.written(path), writtenIn: r.writtenIn(dir), doubts: [...doubts] };
}

describe('the files channel, task after task', () => {
  type Task = { plan: Plan; check?: boolean; doubt?: string; failed?: true };
  const table: Array<{ name: string; tasks: Task[]; want: ReturnType<typeof seen> }> = [
    { name: 'nothing written: no mark', tasks: [], want: { written: false, writtenIn: false, doubts: [] } },
    { name: 'a write marks the path and its folder', tasks: [{ plan: writes }], want: { written: true, writtenIn: true, doubts: [] } },
    { name: 'a reload settles the path it took in (the folder mark stays: it was not read)', tasks: [{ plan: writes }, { plan: reloads }], want: { written: false, writtenIn: true, doubts: [] } },
    { name: "real run: a task that invalidates '*' forgets every mark", tasks: [{ plan: writes }, { plan: everything }], want: { written: false, writtenIn: false, doubts: [] } },
    { name: "dry run: '*' keeps them, as it keeps predictions", tasks: [{ plan: writes, check: true }, { plan: everything, check: true }], want: { written: true, writtenIn: true, doubts: [] } },
    { name: "a pattern other than '*' does not reach them (they have no fact keys)", tasks: [{ plan: writes }, { plan: plan({ invalidates: [keysUnder('/'), EVERY_USER_PROCESSES] }) }], want: { written: true, writtenIn: true, doubts: [] } },
    { name: 'dry run, the writing task unknown: its marks carry the doubt', tasks: [{ plan: writes, check: true, doubt: 'nginx-light may ship it' }], want: { written: true, writtenIn: true, doubts: ['nginx-light may ship it'] } },
    { name: '... and a settling task unknown: the mark is unset, still doubted', tasks: [{ plan: writes, check: true }, { plan: reloads, check: true, doubt: 'rsyslog may ship it' }], want: { written: false, writtenIn: true, doubts: ['rsyslog may ship it'] } },
    { name: 'a sure write after a doubted one: sure again', tasks: [{ plan: writes, check: true, doubt: 'd' }, { plan: writes, check: true }], want: { written: true, writtenIn: true, doubts: [] } },
    { name: "a failed write resets its own marks, an earlier task's included", tasks: [{ plan: writes }, { plan: writes, failed: true }], want: { written: false, writtenIn: false, doubts: [] } },
    { name: "a failed task that invalidates '*' forgets every mark", tasks: [{ plan: writes }, { plan: everything, failed: true }], want: { written: false, writtenIn: false, doubts: [] } },
  ];
  for (const row of table) {
    it(row.name, () => {
      const h = host();
      for (const t of row.tasks) {
        if (t.failed) forgetTouched(h, t.plan);
        else carryForward(h, t.plan, t.check ?? false, t.doubt);
      }
      assert.deepEqual(seen(h), row.want);
      assert.equal([`written:${UNIT}`, `written-in:/etc/systemd/system`].some((k) => h.facts.has(k)), false, 'never in the fact store');
    });
  }

  it('spellings of one path are one mark', () => {
    const h = host();
    carryForward(h, plan({ files: { written: ['/etc//systemd/./system/relay.service'] } }), false);
    assert.equal(seen(h).written, true);
  });
});

describe('the files channel between modules', () => {
  it('copy (content.ts, as template and lineinfile) marks what it writes; file absent marks the folder of what it removes', async () => {
    const wrote = await planWith(copy, { dest: UNIT, content: UNIT_TEXT }, nothingAt(UNIT));
    assert.deepEqual(wrote.files, { written: [UNIT], writtenIn: ['/etc/systemd/system'] });
    const removed = await planWith(file, { path: DROP_IN, state: 'absent' }, aFile(DROP_IN, '[Service]\n'));
    assert.deepEqual(removed.files, { writtenIn: [DROP_INS] });
    const same = await planWith(copy, { dest: UNIT, content: UNIT_TEXT }, aFile(UNIT, UNIT_TEXT));
    assert.equal(same.files, undefined, 'nothing written, nothing marked');
  });

  // The engine's own path: copy planned and carried, then systemd planned by planTask on what it left.
  const unitStore = (): FactStore => {
    const s = new FactStore();
    const loaded: UnitFact = { name: 'relay.service', loadState: 'loaded', activeState: 'active', subState: 'running', unitFileState: 'enabled', needDaemonReload: false, fragmentPath: UNIT };
    s.set(unitFact('relay').key, loaded);
    for (const path of unitFilePaths('relay')) s.set(fileKey(path), path === UNIT ? aFile(UNIT, UNIT_TEXT)[fileKey(UNIT)] : { ...ABSENT_FILE });
    return s;
  };
  const reload = (h: Carried, check: boolean) =>
    planTask({
      module: systemd.def as unknown as ModuleDef,
      params: { unit: 'relay', daemonReload: true },
      prep: undefined,
      ctx: { host: 'h1', base: {} as never, sshPort: 22 },
      stores: new Map([['h1', h.facts]]),
      files: h.files,
      packages: h.packages,
      check,
    });

  it('systemd reloads for a unit file an earlier task wrote, once: the reload settles it', async () => {
    const h = { ...host(), facts: unitStore() };
    carryForward(h, await planWith(copy, { dest: UNIT, content: `${UNIT_TEXT}# v2\n` }, aFile(UNIT, UNIT_TEXT)), false);
    const first = reload(h, false);
    assert.equal(first.kind, 'planned');
    if (first.kind !== 'planned') return;
    assert.deepEqual(first.plan.changes, [{ what: 'daemon-reload', before: `${UNIT} written by an earlier task`, after: 'reloaded' }]);
    assert.deepEqual([...first.read.keys()].filter((k) => k.startsWith('written')), [], 'marks are not facts a saved plan holds the host to');
    carryForward(h, first.plan, false);
    const second = reload(h, false);
    assert.deepEqual(second.kind === 'planned' ? second.plan : second, { changes: [], steps: [] }, 'nothing left to reload');
  });

  it('dry run: a write whose outcome was unknown makes the systemd task that reads its mark unknown too', async () => {
    const h = { ...host(), facts: unitStore() };
    carryForward(h, await planWith(copy, { dest: UNIT, content: `${UNIT_TEXT}# v2\n` }, aFile(UNIT, UNIT_TEXT)), true, 'relay-fixture may ship it');
    const r = reload(h, true);
    assert.deepEqual(r.kind === 'planned' ? [...r.doubts] : r, ['relay-fixture may ship it']);
  });
});
