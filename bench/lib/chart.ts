// The charts of RESULTS.md, drawn from the bench's own rows (medians of the raw records) by vega-lite
// and rendered headless to SVG by vega's View.toSVG: wall time against hosts, one line per tool, and
// peak memory against hosts, for W1 warm and cold side by side. The floor (W3) is drawn in both, as
// the line no tool can beat by much. The spec is built by a pure function so it can be tested.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { TOOL_LABEL, type Row } from './report.ts';

export type Metric = 'wall' | 'mem';

export interface ChartPoint {
  /** The W1 workload the point is drawn in (the floor is drawn in both). */
  workload: string;
  tool: string;
  n: number;
  median: number;
  min: number;
  max: number;
}

const PANELS = ['W1 warm', 'W1 cold'];
/** One colour per tool, the same in every chart and run. */
const TOOLS = ['engine', 'Ansible', 'Ansible+Mitogen', 'pyinfra', 'floor (ssh true)'];
const COLOURS = ['#d62728', '#1f77b4', '#9467bd', '#2ca02c', '#7f7f7f'];

export function chartData(rows: Row[], metric: Metric): ChartPoint[] {
  const pick = (r: Row) => (metric === 'wall' ? r.wall : r.mem);
  const points: ChartPoint[] = [];
  for (const r of rows) {
    const panels = r.workload === 'W3 floor' ? PANELS : PANELS.includes(r.workload) ? [r.workload] : [];
    const tool = r.tool === 'floor' ? TOOLS[4] : TOOL_LABEL[r.tool];
    for (const workload of panels) points.push({ workload, tool, n: r.n, ...pick(r) });
  }
  // Panels that have no tool's figure (e.g. a run of W1 warm only) are not drawn.
  const drawn = new Set(points.filter((p) => p.tool !== TOOLS[4]).map((p) => p.workload));
  return points.filter((p) => drawn.has(p.workload)).sort((a, b) => a.workload.localeCompare(b.workload) || a.tool.localeCompare(b.tool) || a.n - b.n);
}

export function chartSpec(rows: Row[], metric: Metric): TopLevelSpec {
  const data = chartData(rows, metric);
  const title = metric === 'wall' ? 'wall time, s (median; bar: min–max)' : 'peak memory, MB (process tree; log)';
  const y = { field: 'median', type: 'quantitative' as const, title, ...(metric === 'mem' ? { scale: { type: 'log' as const } } : {}) };
  const x = { field: 'n', type: 'quantitative' as const, title: 'hosts' };
  // Only the tools this run has are in the legend; each keeps its colour.
  const present = TOOLS.filter((t) => data.some((p) => p.tool === t));
  const range = present.map((t) => COLOURS[TOOLS.indexOf(t)]);
  const color = { field: 'tool', type: 'nominal' as const, title: null, scale: { domain: present, range }, legend: { orient: 'bottom' as const, labelLimit: 0 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: data },
    facet: { column: { field: 'workload', type: 'nominal', title: null, sort: PANELS } },
    spec: {
      width: 320,
      height: 240,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y, color } },
        { mark: { type: 'rule' }, encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' }, color } },
      ],
    },
    resolve: { scale: { y: 'shared' } },
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes wall.svg and memory.svg into `dir`; returns their paths. */
export async function writeCharts(rows: Row[], dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const [metric, name] of [['wall', 'wall.svg'], ['mem', 'memory.svg']] as const) {
    const path = join(dir, name);
    writeFileSync(path, `${await renderSvg(chartSpec(rows, metric))}\n`);
    out.push(path);
  }
  return out;
}
