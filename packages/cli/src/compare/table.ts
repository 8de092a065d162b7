/** The terminal's view of a comparison: the costs, the other concerns, and the fitted growth. */
import { classSlopes, type Fit } from './fit.js';
import type { CompareResult } from './run.js';
import { COSTS, type Row, type Stat } from './types.js';

/** 0.1234 → `0.123`, 1234.5 → `1235`, 12345678 → `12.3M`. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e7) return `${(x / 1e6).toFixed(1)}M`;
  if (a >= 1e5) return `${(x / 1e3).toFixed(0)}k`;
  if (a >= 100 || Number.isInteger(x)) return String(Math.round(x));
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function stat3(s: Stat | null): string {
  return s ? `${num(s.mean)} / ${num(s.p50)} / ${num(s.p99)}` : '–';
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`;
}

/** Columns padded to their widest cell (numbers right-aligned), a rule under the header. */
export function columns({ header, rows }: Cells): string[] {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const left = (i: number) => i < 2;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (left(i) ? c.padEnd(width[i]!) : c.padStart(width[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** A table as cells: its header and one array of cells per row. */
export interface Cells {
  header: string[];
  rows: string[][];
}

/** The lecture's costs, one row per protocol and N. */
export function costCells(rows: readonly Row[]): Cells {
  return {
    header: [
      'protocol',
      'N',
      'entries/node',
      'bytes/node',
      'server entries / bytes',
      'hops mean/p50/p99',
      'ms mean/p50/p99',
      'msgs/lookup',
      'bytes/lookup',
      'success',
    ],
    rows: rows.map((r) => [
      r.protocol,
      String(r.nodes),
      num(r.memory.entries),
      num(r.memory.bytes),
      r.server ? `${num(r.server.entries)} / ${num(r.server.bytes)}` : '–',
      stat3(r.hops),
      stat3(r.latencyMs),
      num(r.messagesPerLookup),
      num(r.bytesPerLookup),
      pct(r.successRate),
    ]),
  };
}

/** The other concerns: load, faults, locality, maintenance. */
export function concernCells(rows: readonly Row[]): Cells {
  return {
    header: [
      'protocol',
      'N',
      'load max/mean',
      'crashed',
      'success after crash',
      'wrong',
      'after repair',
      'route/direct',
      'maint. B/node/s',
    ],
    rows: rows.map((r) => [
      r.protocol,
      String(r.nodes),
      num(r.loadBalance),
      r.fault ? `${r.fault.crashed} (${pct(r.fault.fail)})` : '–',
      pct(r.fault?.success),
      pct(r.fault?.wrong),
      r.fault?.afterRepair ? pct(r.fault.afterRepair.success) : '–',
      num(r.locality),
      num(r.maintenance.atRest),
    ]),
  };
}

/** The swarm's download (BitTorrent's rows only). */
export function swarmCells(rows: readonly Row[]): Cells {
  const swarms = rows.filter((r) => r.swarm !== null);
  return {
    header: [
      'protocol',
      'N',
      'file bytes',
      'completion s mean/p50/p99',
      'fluid bound s',
      'last / bound',
      'received B/peer',
      'wire B/peer',
    ],
    rows: swarms.map((r) => {
      const s = r.swarm!;
      return [
        r.protocol,
        String(r.nodes),
        num(s.size),
        stat3(s.completionS),
        num(s.boundS),
        num(s.ratio),
        num(s.receivedBytesPerPeer),
        num(s.wireBytesPerPeer),
      ];
    }),
  };
}

/** Fitted slopes beside the lecture's class; `✗` marks a measured class that is not the lecture's. */
export function fitCells(fits: readonly Fit[]): Cells {
  return {
    header: ['protocol', 'cost', 'slope', 'measured', 'lecture', ''],
    rows: fits.map((f) => [
      f.protocol,
      COSTS[f.cost].label,
      f.slope.toFixed(2),
      f.measured,
      f.lecture ?? '',
      f.lecture === undefined ? '' : f.differs ? '✗ differs' : '✓',
    ]),
  };
}

/** The whole terminal report. */
export function formatComparison(result: CompareResult): string[] {
  const out = [
    `p2pkit compare: N = ${result.workload.nodes.join(', ')}; ${result.workload.itemsPerNode} item(s) per node, ${result.workload.lookups} lookups, ${result.workload.latencyMs} ms one-way, seed ${result.workload.seed}`,
    '',
    ...columns(costCells(result.rows)),
    '',
    ...columns(concernCells(result.rows)),
  ];
  const swarm = swarmCells(result.rows);
  if (swarm.rows.length > 0) out.push('', ...columns(swarm));
  if (result.fits.length > 0) {
    const ns = result.workload.nodes;
    out.push(
      '',
      `Fitted growth (log-log slope over N = ${ns.join(', ')}; O(1) = 0, O(log N) ≈ ${logSlopeHint(ns)}, O(√N) = 0.5, O(N) = 1):`,
      ...columns(fitCells(result.fits)),
    );
  }
  for (const s of result.skipped) out.push('', `${s.protocol} at N = ${s.nodes}: ${s.reason}`);
  for (const reason of Object.values(result.unavailable)) out.push('', `not compared: ${reason}`);
  return out;
}

function logSlopeHint(ns: readonly number[]): string {
  return new Set(ns).size < 2 ? '–' : classSlopes(ns)['O(log N)'].toFixed(2);
}
