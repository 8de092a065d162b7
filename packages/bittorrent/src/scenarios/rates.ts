/**
 * Leechers' upload rates: one rate for all, an explicit list, or classes drawn at random.
 */
import type { Random } from '@p2pkit/core';

/** A share of the swarm uploading at `rate` bytes/s. */
export interface RateClass {
  readonly rate: number;
  /** Fraction of the leechers in this class (shares are normalized). */
  readonly share: number;
}

/**
 * - a number: every leecher uploads at that rate;
 * - a list: leecher i uploads at `list[i % list.length]`;
 * - `{ classes }`: each leecher draws its class at random, by share.
 */
export type RateSpec = number | readonly number[] | { readonly classes: readonly RateClass[] };

/**
 * The default heterogeneous mix (bytes/s): a fifth slow, most in the middle, a tenth fast, an
 * 8:1 spread (mean 20.4 KiB/s). Scaled so a 1000-peer flash crowd of a 4 MiB file (256 pieces
 * of 16 KiB) takes about three minutes: many 10 s rechoke and 30 s optimistic-unchoke periods.
 */
export const DEFAULT_UPLOAD_CLASSES: readonly RateClass[] = [
  { rate: 8 * 1024, share: 0.2 },
  { rate: 16 * 1024, share: 0.4 },
  { rate: 32 * 1024, share: 0.3 },
  { rate: 64 * 1024, share: 0.1 },
];

/** Rates for `n` leechers. */
export function drawRates(spec: RateSpec, n: number, random: Random): number[] {
  const out = new Array<number>(n);
  if (typeof spec === 'number') {
    check(spec);
    out.fill(spec);
    return out;
  }
  if (Array.isArray(spec)) {
    const list = spec as readonly number[];
    if (list.length === 0) throw new RangeError('an empty list of rates');
    for (const r of list) check(r);
    for (let i = 0; i < n; i++) out[i] = list[i % list.length]!;
    return out;
  }
  const { classes } = spec as { classes: readonly RateClass[] };
  if (classes.length === 0) throw new RangeError('no rate classes');
  let total = 0;
  for (const c of classes) {
    check(c.rate);
    if (!(c.share > 0)) throw new RangeError(`class share must be > 0 (got ${c.share})`);
    total += c.share;
  }
  for (let i = 0; i < n; i++) {
    let r = random.float() * total;
    let rate = classes[classes.length - 1]!.rate;
    for (const c of classes) {
      r -= c.share;
      if (r < 0) {
        rate = c.rate;
        break;
      }
    }
    out[i] = rate;
  }
  return out;
}

function check(rate: number): void {
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new RangeError(`rates must be finite and > 0 bytes/s (got ${rate})`);
}

/** Parses `--up`-style text: `65536` or `16384,32768,65536` (cycled over the leechers). */
export function parseRateSpec(text: string): RateSpec {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.some((p) => !(p > 0) || !Number.isFinite(p)))
    throw new RangeError(`bad rate list "${text}": positive numbers of bytes/s, comma-separated`);
  return parts.length === 1 ? parts[0]! : parts;
}
