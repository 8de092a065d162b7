/**
 * A small SVG line chart: step lines (CDFs) or polylines, vertical markers, axes with round
 * ticks and a legend. No dependencies; the output is plain SVG that GitHub renders.
 */

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const esc = (text) =>
  String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round tick step for a range: 1, 2 or 5 times a power of ten, about `count` ticks. */
function niceStep(span, count) {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/**
 * @param {object} chart
 * @param {string} chart.title
 * @param {string} chart.xLabel
 * @param {string} chart.yLabel
 * @param {{ label: string, points: [number, number][], step?: boolean, dashed?: boolean }[]} chart.series
 * @param {{ x: number, label: string }[]} [chart.markers] vertical dashed lines
 * @param {[number, number]} [chart.xRange]
 * @param {[number, number]} [chart.yRange]
 * @param {(y: number) => string} [chart.yFormat]
 */
export function lineChart(chart) {
  const width = 900;
  const height = 440;
  const m = { left: 64, right: 330, top: 40, bottom: 52 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = chart.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]).concat((chart.markers ?? []).map((k) => k.x));
  const ys = all.map((p) => p[1]);
  const [x0, x1] = chart.xRange ?? [0, Math.max(...xs) * 1.05];
  const [y0, y1] = chart.yRange ?? [0, Math.max(...ys) * 1.05];
  const sx = (x) => m.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y) => m.top + h - ((y - y0) / (y1 - y0)) * h;
  const yFormat = chart.yFormat ?? ((y) => String(y));
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    // The title element is the plot's text alternative (screen readers, hover).
    `<title>${esc(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left + w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`,
  );
  // Grid and ticks.
  const xStep = niceStep(x1 - x0, 8);
  for (let x = Math.ceil(x0 / xStep) * xStep; x <= x1 + 1e-9; x += xStep) {
    out.push(
      `<line x1="${sx(x)}" y1="${m.top}" x2="${sx(x)}" y2="${m.top + h}" stroke="#eee"/>`,
      `<text x="${sx(x)}" y="${m.top + h + 18}" text-anchor="middle">${esc(Number(x.toFixed(6)))}</text>`,
    );
  }
  const yStep = niceStep(y1 - y0, 5);
  for (let y = Math.ceil(y0 / yStep) * yStep; y <= y1 + 1e-9; y += yStep) {
    out.push(
      `<line x1="${m.left}" y1="${sy(y)}" x2="${m.left + w}" y2="${sy(y)}" stroke="#eee"/>`,
      `<text x="${m.left - 8}" y="${sy(y) + 4}" text-anchor="end">${esc(yFormat(Number(y.toFixed(6))))}</text>`,
    );
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + w / 2}" y="${height - 12}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  // Markers.
  for (const marker of chart.markers ?? []) {
    const x = sx(marker.x);
    out.push(
      `<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + h}" stroke="#000" stroke-dasharray="6 4"/>`,
      `<text x="${x + 4}" y="${m.top + 14}">${esc(marker.label)}</text>`,
    );
  }
  // Series.
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [];
    let prev;
    for (const [x, y] of s.points) {
      if (s.step && prev) pts.push(`${sx(x).toFixed(1)},${sy(prev[1]).toFixed(1)}`);
      pts.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      prev = [x, y];
    }
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${pts.join(' ')}"/>`,
      `<line x1="${m.left + w + 14}" y1="${m.top + 10 + i * 20}" x2="${m.left + w + 38}" y2="${m.top + 10 + i * 20}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${m.left + w + 44}" y="${m.top + 14 + i * 20}">${esc(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Points of the empirical CDF of `values` (fraction of values <= x), as a step line. */
export function cdfPoints(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const points = [[0, 0]];
  sorted.forEach((v, i) => {
    points.push([v, (i + 1) / values.length]);
  });
  return points;
}
