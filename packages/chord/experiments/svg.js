/**
 * Minimal SVG charts for the experiments report: line charts (series of points, optional error
 * bars) and grouped bar charts. No dependencies; the output is plain, deterministic SVG text.
 */

const W = 640;
const H = 400;
const PAD = { left: 64, right: 150, top: 40, bottom: 56 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function esc(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(min, max, count = 6) {
  if (max <= min) max = min + 1;
  const span = max - min;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const norm = step0 / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(+t.toFixed(10));
  return ticks;
}

function fmt(x) {
  if (Math.abs(x) >= 10_000) return x.toExponential(0).replace('e+', 'e');
  return Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

function frame(title, xLabel, yLabel, xTicks, yTicks, sx, sy, xTickLabel = fmt) {
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<title>${esc(title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const y0 = H - PAD.bottom;
  const y1 = PAD.top;
  for (const t of yTicks) {
    const y = sy(t);
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = sx(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${y0 + 18}" text-anchor="middle">${esc(xTickLabel(t))}</text>`);
  }
  out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/>`);
  out.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#333"/>`);
  out.push(`<text x="${(x0 + x1) / 2}" y="${H - 14}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(
    `<text x="16" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(y0 + y1) / 2})">${esc(yLabel)}</text>`,
  );
  return out;
}

function legend(out, series) {
  series.forEach((s, i) => {
    const y = PAD.top + 10 + i * 18;
    const x = W - PAD.right + 12;
    const color = s.color ?? COLORS[i % COLORS.length];
    if (s.dashed) {
      out.push(
        `<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2" stroke-dasharray="4 3"/>`,
      );
    } else {
      out.push(`<rect x="${x}" y="${y - 5}" width="18" height="10" fill="${color}"/>`);
    }
    out.push(`<text x="${x + 24}" y="${y + 4}">${esc(s.name)}</text>`);
  });
}

/**
 * Line chart. series: [{ name, points: [[x, y, lo?, hi?], ...], dashed?, color? }];
 * lo/hi draw an error bar. options: { title, xLabel, yLabel, logX?, yMin? }.
 */
export function lineChart(options, series) {
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => (options.logX ? Math.log2(p[0]) : p[0]));
  const ys = all.flatMap((p) => [p[1], p[2] ?? p[1], p[3] ?? p[1]]);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMin = options.yMin ?? Math.min(0, ...ys);
  const yMax = Math.max(...ys) * 1.05;
  const sx = (x) => PAD.left + ((x - xMin) / (xMax - xMin || 1)) * (W - PAD.left - PAD.right);
  const sy = (y) => H - PAD.bottom - ((y - yMin) / (yMax - yMin || 1)) * (H - PAD.top - PAD.bottom);
  const xTicks = options.logX ? [...new Set(xs)].sort((a, b) => a - b) : niceTicks(xMin, xMax);
  const out = frame(
    options.title,
    options.xLabel,
    options.yLabel,
    xTicks,
    niceTicks(yMin, yMax),
    sx,
    sy,
    (t) => (options.logX ? fmt(2 ** t) : fmt(t)),
  );
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const pts = s.points.map((p) => [sx(options.logX ? Math.log2(p[0]) : p[0]), sy(p[1]), p]);
    const d = pts
      .map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`)
      .join(' ');
    out.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
    for (const [x, y, p] of pts) {
      out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${color}"/>`);
      if (p[2] !== undefined && p[3] !== undefined) {
        out.push(
          `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${sy(p[2]).toFixed(1)}" y2="${sy(p[3]).toFixed(1)}" stroke="${color}"/>`,
        );
      }
    }
  });
  legend(out, series);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Grouped bar chart. categories: x labels; series: [{ name, values: [...] }]. */
export function barChart(options, categories, series) {
  const yMax = Math.max(...series.flatMap((s) => s.values)) * 1.1;
  const n = categories.length;
  const band = (W - PAD.left - PAD.right) / n;
  const barW = (band * 0.8) / series.length;
  const sx = (i) => PAD.left + band * (i + 0.5);
  const sy = (y) => H - PAD.bottom - (y / (yMax || 1)) * (H - PAD.top - PAD.bottom);
  const out = frame(
    options.title,
    options.xLabel,
    options.yLabel,
    categories.map((_, i) => i),
    niceTicks(0, yMax),
    sx,
    sy,
    (i) => String(categories[i]),
  );
  series.forEach((s, k) => {
    const color = s.color ?? COLORS[k % COLORS.length];
    s.values.forEach((v, i) => {
      const x = sx(i) - band * 0.4 + k * barW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${sy(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(sy(0) - sy(v)).toFixed(1)}" fill="${color}"/>`,
      );
    });
  });
  legend(out, series);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
