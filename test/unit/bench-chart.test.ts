// The bench's charts and cost curve from raw records, without a host: which points a chart gets
// (medians of the counted runs, the floor in both W1 panels, nothing of W2), that the SVG vega renders
// carries every tool of the run and no other, and the per-host slopes and target verdicts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chartData, chartSpec, renderSvg } from '../../bench/lib/chart.ts';
import { costCurve, slope, summarize, targets } from '../../bench/lib/report.ts';
import type { Record_ } from '../../bench/lib/suite.ts';
import type { Tool } from '../../bench/lib/tools.ts';

function rec(workload: string, tool: Tool, n: number, wallS: number, mb: number, counted = true): Record_ {
  return {
    workload, tool, n, wallS, counted, round: counted ? 1 : 0,
    code: 0, stdout: '', stderr: '', cpuUserS: wallS / 4, cpuSysS: wallS / 4, cpuS: wallS / 2,
    peakRssMaxMb: mb, peakRssSumMb: mb, peakProcs: 1,
  };
}

// engine and Ansible at N = 1, 10, 50 on a straight line (100 ms and 700 ms per host), three counted
// runs each around it and one slow warm-up that must not count; the floor; one Mitogen point; W2.
const records: Record_[] = [];
for (const n of [1, 10, 50]) {
  for (const [tool, base, per, mb] of [['engine', 0.4, 0.1, 70], ['ansible', 2, 0.7, 60 * n]] as const) {
    const mid = base + per * (n - 1);
    records.push(rec('W1 warm', tool, n, 99, 9999, false));
    for (const d of [-0.05, 0, 0.05]) records.push(rec('W1 warm', tool, n, mid + d, mb + d * 10));
  }
  records.push(rec('W3 floor', 'floor', n, 0.25 + 0.07 * (n - 1), 8 * n));
}
records.push(rec('W1 warm', 'mitogen', 10, 5, 400));
records.push(rec('W2 converged', 'engine', 4, 1.6, 88));

describe('bench charts from records', () => {
  const rows = summarize(records);

  test('points: medians of the counted runs; the floor in the W1 panels that have figures; no W2', () => {
    const wall = chartData(rows, 'wall');
    const engine10 = wall.find((p) => p.tool === 'engine' && p.n === 10)!;
    assert.equal(engine10.workload, 'W1 warm');
    assert.ok(Math.abs(engine10.median - 1.3) < 1e-9, `median ${engine10.median}`);
    assert.ok(Math.abs(engine10.min - 1.25) < 1e-9 && Math.abs(engine10.max - 1.35) < 1e-9);
    // No W1 cold figure: no cold panel, so the floor is drawn once per N, in the warm panel.
    assert.deepEqual([...new Set(wall.map((p) => p.workload))], ['W1 warm']);
    assert.equal(wall.filter((p) => p.tool === 'floor (ssh true)').length, 3);
    assert.ok(!wall.some((p) => p.n === 4), 'W2 is not drawn');
    assert.equal(chartData(rows, 'mem').find((p) => p.tool === 'Ansible' && p.n === 50)!.median, 3000);
  });

  test('the spec: one colour per tool of the run, the memory axis on a log scale', () => {
    const spec = chartSpec(rows, 'mem') as any;
    const color = spec.spec.layer[0].encoding.color;
    assert.deepEqual(color.scale.domain, ['engine', 'Ansible', 'Ansible+Mitogen', 'floor (ssh true)']);
    assert.equal(color.scale.range.length, 4);
    assert.equal(spec.spec.layer[0].encoding.y.scale.type, 'log');
    assert.equal((chartSpec(rows, 'wall') as any).spec.layer[0].encoding.y.scale, undefined);
  });

  test('vega renders an SVG naming every tool of the run and no other', async () => {
    const svg = await renderSvg(chartSpec(rows, 'wall'));
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const t of ['engine', 'Ansible', 'Ansible+Mitogen', 'floor (ssh true)', 'W1 warm', 'hosts']) assert.ok(svg.includes(`>${t}<`), `${t} in the SVG`);
    assert.ok(!svg.includes('>pyinfra<'), 'pyinfra has no record: not in the legend');
  });

  test('cost per added host: the least-squares slope of the medians', () => {
    assert.equal(slope([[1, 1]]), undefined);
    const curve = costCurve(rows);
    const of = (w: string, t: Tool) => curve.find((c) => c.workload === w && c.tool === t)!;
    assert.ok(Math.abs(of('W1 warm', 'engine').wallMs - 100) < 1e-6, `${of('W1 warm', 'engine').wallMs}`);
    assert.ok(Math.abs(of('W1 warm', 'ansible').wallMs - 700) < 1e-6);
    assert.ok(Math.abs(of('W1 warm', 'ansible').memMb - 60) < 1e-6);
    assert.ok(Math.abs(of('W3 floor', 'floor').wallMs - 70) < 1e-6);
    assert.equal(curve.find((c) => c.tool === 'mitogen'), undefined, 'one N is no curve');
    const two = costCurve(summarize(records.filter((r) => r.n !== 50)));
    assert.equal(two.length, 0, 'two host counts are not a curve either');
  });

  test('targets: a miss is reported as a miss', () => {
    const [engine50, ansible50, floor50] = (['engine', 'ansible', 'floor'] as const).map((t) => rows.find((r) => r.n === 50 && r.tool === t)!);
    // engine 5.3 s against a floor of 3.68 s at 50 hosts: over 1.0x; faster than Ansible.
    assert.deepEqual(targets('W1 warm', 50, engine50, { ansible: ansible50, fastest: ansible50, floor: floor50, peers: ['Ansible'] }), ['met: faster than Ansible', 'missed: ≤1.0× floor']);
    const slow = { ...engine50, wall: { median: 99, min: 99, max: 99 } };
    assert.ok(targets('W1 warm', 50, slow, { fastest: ansible50, peers: ['Ansible', 'pyinfra'] }).includes('missed: faster than Ansible, pyinfra'));
    const fat = { ...engine50, mem: { median: 300, min: 300, max: 300 } };
    assert.ok(targets('W1 warm', 200, fat, {}).includes('missed: ≤260 MB'));
  });
});
