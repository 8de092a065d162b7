import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** An axis: its label, its unit (shown as "label (unit)"), and a log scale when asked. */
export interface Axis {
  label: string;
  unit?: string;
  log?: boolean;
  /** Fixed [min, max]; otherwise the data's extent (zero included for linear axes). */
  domain?: [number, number];
  /** A d3 number format for the tick labels, e.g. '.0%' or '~s'. */
  format?: string;
}

/** A chart: a Vega-Lite spec (data and encoding together) with an id used for its file name. */
export interface Chart {
  /** File-name-safe id: the SVG is written as `<report>-<id>.svg`. */
  id: string;
  title: string;
  spec: TopLevelSpec;
}

/** A point of a line, with an optional range drawn as an error bar (1st..99th percentile). */
export interface Point {
  x: number;
  y: number;
  low?: number;
  high?: number;
}

export interface LineSeries {
  name: string;
  points: Array<Point | [number, number]>;
  /** Drawn dashed: a reference (the paper, a bound), not a measurement. */
  dashed?: boolean;
}

export interface LineChartOptions {
  id: string;
  title: string;
  x: Axis;
  y: Axis;
  series: LineSeries[];
  /** Steps instead of straight segments (a measured CDF drawn from its points). */
  step?: boolean;
  /** Vertical reference lines (a bound, a target), each labelled. */
  rules?: Array<{ x: number; label: string }>;
}

const WIDTH = 520;
const HEIGHT = 300;

function axisTitle(a: Axis): string {
  return a.unit ? `${a.label} (${a.unit})` : a.label;
}

function scale(a: Axis): Record<string, unknown> {
  return {
    ...(a.log ? { type: 'log' } : { zero: a.domain === undefined }),
    ...(a.domain ? { domain: a.domain } : {}),
    nice: !a.domain && !a.log,
  };
}

function axis(a: Axis): Record<string, unknown> {
  return { title: axisTitle(a), ...(a.format ? { format: a.format } : {}), grid: true };
}

function frame(title: string): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    description: title,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    config: { font: 'sans-serif', legend: { orient: 'right', labelLimit: 260 } },
  };
}

const LEGEND = { title: null, symbolType: 'stroke', labelLimit: 320 };

/** One colour per series, in the given order, with a legend of their names. */
function seriesColor(order: string[]): Record<string, unknown> {
  return {
    field: 'series',
    type: 'nominal',
    sort: order,
    legend: { title: null, labelLimit: 320 },
  };
}

/** Lines (one per series, legend by name), log axes on request, error bars from low/high. */
export function lineChart(o: LineChartOptions): Chart {
  const rows = o.series.flatMap((s) =>
    s.points.map((p) => {
      const q = Array.isArray(p) ? { x: p[0], y: p[1] } : p;
      return { series: s.name, dashed: s.dashed === true, ...q };
    }),
  );
  const order = o.series.map((s) => s.name);
  const x = { field: 'x', type: 'quantitative', scale: scale(o.x), axis: axis(o.x) };
  const y = { field: 'y', type: 'quantitative', scale: scale(o.y), axis: axis(o.y) };
  const color = { field: 'series', type: 'nominal', sort: order, legend: LEGEND };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'line', point: !o.step, interpolate: o.step ? 'step-after' : 'linear' },
      encoding: {
        x,
        y,
        color,
        strokeDash: {
          field: 'dashed',
          type: 'nominal',
          scale: {
            domain: [false, true],
            range: [
              [1, 0],
              [6, 4],
            ],
          },
          legend: null,
        },
      },
    },
  ];
  if (rows.some((r) => 'low' in r && r.low !== undefined)) {
    layers.push({
      transform: [{ filter: 'isValid(datum.low)' }],
      mark: { type: 'rule', opacity: 0.6 },
      encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
    });
  }
  for (const r of o.rules ?? []) {
    layers.push({
      data: { values: [r] },
      layer: [
        {
          mark: { type: 'rule', color: '#666', strokeDash: [2, 2] },
          encoding: { x: { field: 'x', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -HEIGHT / 2 + 8, color: '#444' },
          encoding: { x: { field: 'x', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    });
  }
  return {
    id: o.id,
    title: o.title,
    spec: { ...frame(o.title), data: { values: rows }, layer: layers } as unknown as TopLevelSpec,
  };
}

export interface BarChartOptions {
  id: string;
  title: string;
  /** The categories along x (hop counts, variants), in order. */
  x: Axis;
  y: Axis;
  categories: Array<string | number>;
  /** One bar per category per series, side by side. */
  series: Array<{ name: string; values: number[] }>;
}

/** Grouped bars: one group per category, one bar per series (legend by series). */
export function barChart(o: BarChartOptions): Chart {
  const rows = o.series.flatMap((s) =>
    o.categories.map((c, i) => ({ category: String(c), series: s.name, y: s.values[i] ?? 0 })),
  );
  const order = o.series.map((s) => s.name);
  return {
    id: o.id,
    title: o.title,
    spec: {
      ...frame(o.title),
      data: { values: rows },
      mark: 'bar',
      encoding: {
        x: {
          field: 'category',
          type: 'ordinal',
          sort: o.categories.map(String),
          axis: { title: axisTitle(o.x), labelAngle: 0 },
        },
        xOffset: { field: 'series', sort: order },
        y: { field: 'y', type: 'quantitative', scale: scale(o.y), axis: axis(o.y) },
        color: seriesColor(order),
      },
    } as unknown as TopLevelSpec,
  };
}

export interface HistogramOptions {
  id: string;
  title: string;
  x: Axis;
  /** Defaults to "count" (or "fraction" with normalize). */
  y?: Axis;
  /** Raw samples per series; vega bins them (maxbins, or a fixed bin step). */
  series: Array<{ name: string; values: ArrayLike<number> }>;
  maxbins?: number;
  step?: number;
  /** Fraction of each series' samples instead of counts (series of different sizes). */
  normalize?: boolean;
}

/** A histogram of raw samples, binned by vega; several series overlap, semi-transparent. */
export function histogram(o: HistogramOptions): Chart {
  const rows = o.series.flatMap((s) => Array.from(s.values, (v) => ({ series: s.name, v })));
  const order = o.series.map((s) => s.name);
  const bin = o.step !== undefined ? { step: o.step } : { maxbins: o.maxbins ?? 30 };
  const yAxis = o.y ?? { label: o.normalize ? 'fraction of samples' : 'count' };
  const transform: Record<string, unknown>[] = [
    { bin, field: 'v', as: ['b0', 'b1'] },
    { aggregate: [{ op: 'count', as: 'n' }], groupby: ['series', 'b0', 'b1'] },
  ];
  if (o.normalize) {
    transform.push(
      { joinaggregate: [{ op: 'sum', field: 'n', as: 'total' }], groupby: ['series'] },
      { calculate: 'datum.n / datum.total', as: 'n' },
    );
  }
  return {
    id: o.id,
    title: o.title,
    spec: {
      ...frame(o.title),
      data: { values: rows },
      transform,
      mark: { type: 'bar', opacity: o.series.length > 1 ? 0.55 : 0.9, binSpacing: 1 },
      encoding: {
        x: {
          field: 'b0',
          type: 'quantitative',
          bin: { binned: true },
          axis: axis(o.x),
          scale: o.x.log ? { type: 'log' } : {},
        },
        x2: { field: 'b1' },
        y: { field: 'n', type: 'quantitative', stack: null, axis: axis(yAxis) },
        color: seriesColor(order),
      },
    } as unknown as TopLevelSpec,
  };
}

export interface CdfOptions {
  id: string;
  title: string;
  x: Axis;
  /** Defaults to "fraction ≤ x". */
  y?: Axis;
  /**
   * Raw samples per series. Non-finite samples (a peer that never finished) count in the
   * denominator but are never reached: the curve then ends below 1.
   */
  series: Array<{ name: string; values: ArrayLike<number>; dashed?: boolean }>;
  rules?: Array<{ x: number; label: string }>;
}

/** Empirical CDFs of raw samples (a step per sample), one line per series. */
export function cdf(o: CdfOptions): Chart {
  return lineChart({
    id: o.id,
    title: o.title,
    x: o.x,
    y: o.y ?? { label: 'fraction ≤ x', domain: [0, 1], format: '.0%' },
    step: true,
    ...(o.rules ? { rules: o.rules } : {}),
    series: o.series.map((s) => {
      const total = s.values.length;
      const sorted = Float64Array.from(s.values)
        .filter((v) => Number.isFinite(v))
        .sort();
      const points: Array<[number, number]> = [];
      for (let i = 0; i < sorted.length; i++) {
        // One point per distinct value: its last rank.
        if (i + 1 < sorted.length && sorted[i + 1] === sorted[i]) continue;
        points.push([sorted[i]!, (i + 1) / total]);
      }
      return { name: s.name, points, ...(s.dashed ? { dashed: true } : {}) };
    }),
  });
}

/**
 * Renders a chart to a standalone SVG string, without a browser (vega's headless renderer).
 * The SVG carries its title as a <title> element (its text alternative).
 */
export async function renderSvg(chart: Chart): Promise<string> {
  const view = new View(parse(compile(chart.spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/^<svg([^>]*)>/, `<svg$1><title>${escapeXml(chart.title)}</title>`);
  } finally {
    view.finalize();
  }
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
