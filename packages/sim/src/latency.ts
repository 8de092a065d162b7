import type { Random } from '@p2pkit/core';
import { invalidOption } from './errors.js';

/**
 * A latency model gives the one-way delay, in milliseconds, of a packet from one host to
 * another. Hosts are named by their index (the order they were added). Models are seeded
 * generators, not data: none ships a measured data set (see README, "Latency models").
 */
export interface LatencyModel {
  /** Short description, for reports. */
  readonly name: string;
  /**
   * Called once when host `index` is added (before it sends anything). Placement models draw
   * the host's position from `random`, a stream of its own, so adding a host never changes
   * another host's position. `position` is what the caller passed to addHost, if anything.
   */
  place?(index: number, random: Random, position: readonly number[] | undefined): void;
  /**
   * One-way delay from host `from` to host `to` (never negative). `random` is the network's
   * stream: draw from it for jitter; the draw order is the event order, so runs repeat.
   */
  delay(from: number, to: number, random: Random): number;
}

/** Every packet takes exactly `ms`. */
export function constant(ms: number): LatencyModel {
  checkMs('constant latency', ms);
  return { name: `constant(${ms})`, delay: () => ms };
}

/** Each packet independently uniform in [min, max). Reorders datagrams; streams stay ordered. */
export function uniform(min: number, max: number): LatencyModel {
  checkMs('uniform min', min);
  if (!(max >= min)) throw invalidOption(`uniform latency: max (${max}) < min (${min})`);
  const span = max - min;
  return {
    name: `uniform(${min}, ${max})`,
    delay: (_f, _t, random) => min + span * random.float(),
  };
}

export interface LognormalOptions {
  /** Median one-way delay in ms. */
  median: number;
  /** Standard deviation of the underlying normal (0.5 gives a moderate right tail). */
  sigma: number;
  /** Floor in ms (default 0). */
  min?: number;
}

/** Each packet independently lognormal: median · e^(sigma·N(0,1)), a heavy right tail. */
export function lognormal(options: LognormalOptions): LatencyModel {
  const { median, sigma } = options;
  const min = options.min ?? 0;
  checkMs('lognormal median', median);
  checkMs('lognormal sigma', sigma);
  checkMs('lognormal min', min);
  return {
    name: `lognormal(median ${median}, sigma ${sigma})`,
    delay: (_f, _t, random) => Math.max(min, median * Math.exp(sigma * normal(random))),
  };
}

export interface CoordinatesOptions {
  /** Plane width in abstract units (default 1000). */
  width?: number;
  /** Plane height (default 1000). */
  height?: number;
  /** Milliseconds of one-way delay per unit of Euclidean distance (default 0.08). */
  msPerUnit?: number;
  /**
   * Per-host access-link delay in ms, drawn uniformly from [min, max] when the host is placed
   * (Vivaldi's "height": the last mile both ends pay). Default [1, 10]; [0, 0] disables it.
   */
  access?: readonly [number, number];
}

/** A latency model that places hosts in a plane; `position(i)` reads a host's coordinates. */
export interface CoordinatesModel extends LatencyModel {
  position(index: number): [x: number, y: number];
}

/**
 * Hosts placed uniformly at random in a plane (or where addHost's `position` says): delay =
 * distance × msPerUnit + both hosts' access delays. This is the plane of the Pastry paper's
 * locality experiments and, with access delays, a Vivaldi-style embedding. Defaults give a
 * wide-area spread: mean one-way ≈ 53 ms (RTT ≈ 106 ms), up to ≈ 130 ms one-way.
 */
export function coordinates(options: CoordinatesOptions = {}): CoordinatesModel {
  const width = options.width ?? 1000;
  const height = options.height ?? 1000;
  const msPerUnit = options.msPerUnit ?? 0.08;
  const [accessMin, accessMax] = options.access ?? [1, 10];
  checkMs('coordinates msPerUnit', msPerUnit);
  checkMs('coordinates access min', accessMin);
  if (!(accessMax >= accessMin)) throw invalidOption('coordinates access: max < min');
  let xs = new Float64Array(1024);
  let ys = new Float64Array(1024);
  let access = new Float64Array(1024);
  const ensure = (index: number) => {
    if (index < xs.length) return;
    let capacity = xs.length;
    while (capacity <= index) capacity *= 2;
    const grow = (from: Float64Array) => {
      const to = new Float64Array(capacity);
      to.set(from);
      return to;
    };
    xs = grow(xs);
    ys = grow(ys);
    access = grow(access);
  };
  return {
    name: `coordinates(${width}x${height}, ${msPerUnit} ms/unit, access ${accessMin}-${accessMax} ms)`,
    place(index, random, position) {
      ensure(index);
      xs[index] = position?.[0] ?? random.float() * width;
      ys[index] = position?.[1] ?? random.float() * height;
      access[index] = accessMin + (accessMax - accessMin) * random.float();
    },
    delay(from, to) {
      const dx = xs[from]! - xs[to]!;
      const dy = ys[from]! - ys[to]!;
      return Math.sqrt(dx * dx + dy * dy) * msPerUnit + access[from]! + access[to]!;
    },
    position(index) {
      if (index >= xs.length) throw invalidOption(`no position for host ${index}`);
      return [xs[index]!, ys[index]!];
    },
  };
}

export interface MatrixOptions {
  /**
   * How hosts map to rows: 'modulo' (host i → row i mod n, the default) or 'random' (a row
   * drawn when the host is placed: many hosts per measured site, as the "Kong" idea does).
   */
  assign?: 'modulo' | 'random';
}

/**
 * A user-supplied round-trip-time matrix in ms (for example the King data set, which p2pkit
 * does not ship: load it from your own file). One-way delay = RTT / 2. Hosts beyond the matrix
 * size share rows; two hosts on one row get that row's diagonal (usually 0).
 */
export function matrix(
  rttMs: readonly (readonly number[])[],
  options: MatrixOptions = {},
): LatencyModel {
  const n = rttMs.length;
  if (n === 0) throw invalidOption('matrix latency: empty matrix');
  const flat = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = rttMs[i]!;
    if (row.length !== n)
      throw invalidOption(`matrix latency: row ${i} has ${row.length} entries, expected ${n}`);
    for (let j = 0; j < n; j++) {
      const v = row[j]!;
      checkMs(`matrix latency [${i}][${j}]`, v);
      flat[i * n + j] = v / 2;
    }
  }
  const assign = options.assign ?? 'modulo';
  let rows = new Int32Array(1024);
  return {
    name: `matrix(${n}x${n}, ${assign})`,
    place(index, random) {
      if (index >= rows.length) {
        let capacity = rows.length;
        while (capacity <= index) capacity *= 2;
        const grown = new Int32Array(capacity);
        grown.set(rows);
        rows = grown;
      }
      rows[index] = assign === 'random' ? random.int(n) : index % n;
    },
    delay(from, to) {
      return flat[rows[from]! * n + rows[to]!]!;
    },
  };
}

/** Adds uniform jitter in [0, ms) to every packet of `model`. */
export function jitter(model: LatencyModel, ms: number): LatencyModel {
  checkMs('jitter', ms);
  const place = model.place;
  return {
    name: `${model.name} + jitter(${ms})`,
    ...(place ? { place: place.bind(model) } : {}),
    delay: (from, to, random) => model.delay(from, to, random) + ms * random.float(),
  };
}

/** A standard normal draw (Box-Muller; one of the pair is discarded to keep no state). */
function normal(random: Random): number {
  const u = 1 - random.float(); // (0, 1]
  const v = random.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function checkMs(what: string, ms: number): void {
  if (!(ms >= 0 && ms < Number.POSITIVE_INFINITY)) {
    throw invalidOption(`${what} must be a finite number >= 0, got ${ms}`);
  }
}

/** The latency models, as a namespace: `latency.uniform(10, 100)`. */
export const latency = { constant, uniform, lognormal, coordinates, matrix, jitter };
