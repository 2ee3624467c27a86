// The bench's W2 dry run on fresh hosts: the package previews' time read from the engine's --log,
// and the report's table of it beside the wall time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { previewTime } from '../../bench/lib/tools.ts';
import { summarize, tables } from '../../bench/lib/report.ts';
import type { Record_ } from '../../bench/lib/suite.ts';

const line = (event: Record<string, unknown>) => JSON.stringify({ level: 'info', message: event.type, event, timestamp: '2026-12-02T06:00:00Z' });

describe('bench: package previews in the fresh-host dry run', () => {
  it("sums each host's preview execs from the log; other commands do not count", () => {
    const log = [
      line({ type: 'command', host: 'build', command: 'gather facts: apt:preview::git,curl', ms: 4000 }),
      line({ type: 'command', host: 'build', command: 'gather facts: apt:preview:u:gcc', ms: 1500 }),
      line({ type: 'command', host: 'relay1', command: 'gather facts: apt:preview::coturn', ms: 9000 }),
      line({ type: 'command', host: 'relay1', command: 'gather facts: file:/etc/hosts', ms: 300 }),
      line({ type: 'task.result', host: 'relay1', task: 'x', ms: 12000 }),
      '',
    ].join('\n');
    assert.deepEqual(previewTime(log), { previewS: 9, previewSumS: 14.5 });
    assert.deepEqual(previewTime(line({ type: 'command', host: 'a', command: 'true', ms: 5 })), { previewS: 0, previewSumS: 0 });
  });

  it('the report has the wall time and the previews\' share side by side', () => {
    const rec = (wallS: number, previewS: number): Record_ => ({
      tool: 'engine', workload: 'W2 dry run fresh', n: 2, round: 0, counted: true, code: 0, stdout: '', stderr: '',
      wallS, cpuUserS: 1, cpuSysS: 0, cpuS: 1, peakRssMaxMb: 80, peakRssSumMb: 80, peakProcs: 1, previewS, previewSumS: previewS,
    });
    const rows = summarize([rec(20, 10), rec(30, 12)]);
    assert.deepEqual(rows[0]!.preview, { median: 11, min: 10, max: 12 });
    const text = tables(rows).join('\n');
    assert.match(text, /\| W2 dry run fresh \| 2 \| 2 \| 25\.00 \(20\.00–30\.00\) \| 11\.00 \(10\.00–12\.00\) \| 45 % \(40–50 %\) \|/);
  });
});
