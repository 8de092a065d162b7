// Turns bench/results/matrix.json (bench/matrix.js) into the report module's result: figures
// (ours beside the client a user would pick instead, ratios, the issue's goals), tables and bar
// charts of every seeder × leecher cell. Used by run.js and by readme.js (the README's block).
import { Distribution } from '@p2pkit/sim';
import { barChart } from '../../report/dist/index.js';

export const NAMES = {
  ours: 'ours',
  aria2c: 'aria2c',
  qbittorrent: 'qBittorrent',
  transmission: 'Transmission',
  webtorrent: 'WebTorrent',
};
const name = (k) => NAMES[k] ?? k;
const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

/** Median (nearest rank), min and max of the finite values, or undefined when there are none. */
function stats(values) {
  const d = new Distribution('runs');
  for (const v of values) if (Number.isFinite(v)) d.record(v);
  if (d.count === 0) return undefined;
  const s = d.summary();
  return { median: s.p50, min: s.min, max: s.max, count: s.count, spread: s.max / s.min };
}

/** Per size, per seeder → leecher: the medians of its runs and their spread. */
export function cells(d) {
  const out = [];
  for (const sizeMiB of d.sizes) {
    for (const seeder of d.seeders) {
      for (const leecher of d.leechers) {
        const rows = d.results.filter(
          (r) => r.sizeMiB === sizeMiB && r.seeder === seeder && r.leecher === leecher,
        );
        const ok = rows.filter((r) => !r.error);
        out.push({
          sizeMiB,
          seeder,
          leecher,
          runs: rows.length,
          failed: rows.length - ok.length,
          error: rows.find((r) => r.error)?.error,
          wall: stats(ok.map((r) => r.mibps)),
          transfer: stats(ok.map((r) => r.transferMibps)),
          startupMs: stats(ok.map((r) => r.startupMs)),
          leecherRssMB: stats(ok.map((r) => r.leecherRssMB)),
          seederRssMB: stats(ok.map((r) => r.seederRssMB)),
          load: stats(rows.map((r) => r.load)),
        });
      }
    }
  }
  return out;
}

/** A seeder × leecher markdown table of `pick(cell)`. */
function table(d, all, sizeMiB, title, pick) {
  const head = `| ${title} | ${d.leechers.map(name).join(' | ')} |`;
  const rule = `|---|${d.leechers.map(() => '---').join('|')}|`;
  const rows = d.seeders.map((s) => {
    const values = d.leechers.map((l) => {
      const c = all.find((x) => x.sizeMiB === sizeMiB && x.seeder === s && x.leecher === l);
      if (!c || c.runs === 0) return 'not run';
      if (!c.wall) return `failed (${c.failed}/${c.runs})`;
      return pick(c);
    });
    return `| ${name(s)} | ${values.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}

export function matrixReport(d) {
  const all = cells(d);
  const cell = (sizeMiB, s, l) =>
    all.find((c) => c.sizeMiB === sizeMiB && c.seeder === s && c.leecher === l);
  const figures = [];
  const blocks = [];
  const small = Math.min(...d.sizes);
  for (const sizeMiB of d.sizes) {
    const limit = d.limits[sizeMiB];
    // An interrupted run: a size with no run at all gets no section.
    if (!all.some((c) => c.sizeMiB === sizeMiB && c.runs > 0)) continue;
    const oo = cell(sizeMiB, 'ours', 'ours');
    const aa = cell(sizeMiB, 'aria2c', 'aria2c');
    if (oo?.wall) {
      figures.push({
        figure: `${sizeMiB} MiB over loopback, ours → ours, wall, median of ${oo.wall.count}`,
        value: oo.wall.median,
        unit: 'MiB/s',
        better: 'higher',
        ...(aa?.wall
          ? { peer: { name: 'aria2c → aria2c', value: aa.wall.median, source: 'same run' } }
          : {}),
      });
      figures.push({
        figure: `${sizeMiB} MiB, ours → ours, transfer phase (after the first peer connection), median`,
        value: oo.transfer?.median ?? Number.NaN,
        unit: 'MiB/s',
        better: 'higher',
        peer: {
          name: 'single-core limit: SHA-1 of the payload + one copy, node',
          value: limit,
          source: 'same run',
        },
        goal: { on: 'ratio', atLeast: 0.8, source: 'issue 20' },
      });
      figures.push({
        figure: `${sizeMiB} MiB, ours → ours, first peer connection after the leecher's process start, median`,
        value: oo.startupMs?.median ?? Number.NaN,
        unit: 'ms',
        better: 'lower',
      });
      figures.push({
        figure: `${sizeMiB} MiB, ours → ours, run-to-run spread (max/min of the wall rate)`,
        value: oo.wall.spread,
        unit: '×',
        better: 'lower',
        goal: { on: 'value', atMost: 1.3, source: 'issue 20' },
      });
    }
    for (const x of d.leechers) {
      if (x === 'ours') continue;
      const ox = cell(sizeMiB, 'ours', x);
      const ax = cell(sizeMiB, 'aria2c', x);
      if (ox?.wall)
        figures.push({
          figure: `${sizeMiB} MiB, ours → ${name(x)}, wall, median`,
          value: ox.wall.median,
          unit: 'MiB/s',
          better: 'higher',
          ...(ax?.wall && x !== 'aria2c'
            ? { peer: { name: `aria2c → ${name(x)}`, value: ax.wall.median, source: 'same run' } }
            : aa?.wall && x === 'aria2c'
              ? { peer: { name: 'aria2c → aria2c', value: aa.wall.median, source: 'same run' } }
              : {}),
          goal: { on: 'ratio', atLeast: 1, source: 'issue 20' },
        });
    }
    for (const x of d.seeders) {
      if (x === 'ours') continue;
      const xo = cell(sizeMiB, x, 'ours');
      const xx = cell(sizeMiB, x, x);
      if (xo?.wall)
        figures.push({
          figure: `${sizeMiB} MiB, ${name(x)} → ours, wall, median`,
          value: xo.wall.median,
          unit: 'MiB/s',
          better: 'higher',
          ...(xx?.wall
            ? {
                peer: {
                  name: `${name(x)} → ${name(x)}`,
                  value: xx.wall.median,
                  source: 'same run',
                },
                // No X → X (Transmission is no leecher here): nothing to compare, no goal.
                goal: { on: 'ratio', atLeast: 1, source: 'issue 20' },
              }
            : {}),
        });
    }
    const rss = oo?.leecherRssMB?.max;
    if (rss !== undefined)
      figures.push({
        figure: `${sizeMiB} MiB, ours → ours, leecher peak RSS (max of runs)`,
        value: rss,
        unit: 'MB',
        better: 'lower',
      });
    const srss = oo?.seederRssMB?.max;
    if (srss !== undefined)
      figures.push({
        figure: `${sizeMiB} MiB, ours → ours, seeder peak RSS (max of runs)`,
        value: srss,
        unit: 'MB',
        better: 'lower',
        goal: { on: 'value', atMost: 100, source: 'issue 20' },
      });

    blocks.push(
      `## ${sizeMiB} MiB\n\nSingle-core limit in the same run (SHA-1 of every 256 KiB piece plus one copy of it, node): **${fmt(limit, 0)} MiB/s**. Wall rate, median of ${d.runs} (MiB/s), [min–max]; load ${fmt(Math.min(...all.filter((c) => c.sizeMiB === sizeMiB && c.load).map((c) => c.load.min)))}–${fmt(Math.max(...all.filter((c) => c.sizeMiB === sizeMiB && c.load).map((c) => c.load.max)))} (1-minute average at each run's start):`,
      table(d, all, sizeMiB, 'seeder ↓ leecher →', (c) =>
        c.wall.count > 1
          ? `${fmt(c.wall.median)} [${fmt(c.wall.min)}–${fmt(c.wall.max)}]`
          : fmt(c.wall.median),
      ),
      barChart({
        id: `wall-${sizeMiB}`,
        title: `${sizeMiB} MiB over loopback, one seeder → one leecher (median of ${d.runs})`,
        x: { label: 'seeder' },
        y: { label: 'wall rate', unit: 'MiB/s' },
        categories: d.seeders.map(name),
        series: d.leechers.map((l) => ({
          name: `→ ${name(l)}`,
          values: d.seeders.map((s) => cell(sizeMiB, s, l)?.wall?.median ?? 0),
        })),
      }),
      `Transfer phase (after the leecher's first peer connection; "—" where the leecher cannot say when that was), median MiB/s / first peer connection after the leecher's start, median ms:`,
      table(
        d,
        all,
        sizeMiB,
        'seeder ↓ leecher →',
        (c) => `${fmt(c.transfer?.median)} / ${fmt(c.startupMs?.median, 0)} ms`,
      ),
      `Run-to-run spread (max/min of the wall rate) / leecher peak RSS (MB, max):`,
      table(
        d,
        all,
        sizeMiB,
        'seeder ↓ leecher →',
        (c) => `${fmt(c.wall.spread, 2)}× / ${fmt(c.leecherRssMB?.max, 0)}`,
      ),
    );
  }
  const failures = all.filter((c) => c.error);
  if (failures.length)
    blocks.push(
      `Failed runs:\n\n${failures.map((c) => `- ${c.sizeMiB} MiB ${name(c.seeder)} → ${name(c.leecher)}: ${c.failed} of ${c.runs}: ${c.error}`).join('\n')}`,
    );
  return {
    title: 'BitTorrent: every seeder × every leecher over loopback',
    conditions: {
      sizesMiB: d.sizes,
      runs: d.runs,
      pieceKiB: d.pieceKiB,
      seeders: d.seeders,
      leechers: d.leechers,
      measuredAt: d.measuredAt,
      loadAtStart: d.loadAtStart,
      loadAtEnd: d.loadAtEnd,
      smallest: small,
    },
    date: d.measuredAt,
    data: { ...d, cells: all },
    figures,
    blocks,
  };
}
