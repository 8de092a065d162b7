import { P2PError } from './errors.js';
import type { Random } from './runtime.js';

const TWO_32 = 0x1_0000_0000;
const TWO_53 = 9007199254740992;
const TWO_26 = 67108864;

/** What a seed may be: the same number and bigint give the same stream (`1` and `1n`). */
export type Seed = number | bigint | string | Uint8Array;

/**
 * A seeded pseudo-random generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * 128 bits of state, passes PractRand to many terabytes), fast in JavaScript because it is all
 * 32-bit integer arithmetic. Not cryptographic: for simulations and tests, where one seed must
 * replay one history.
 *
 * `fork(label)` derives a child from this generator's seed key and the label only, never from
 * its current state: forking draws nothing, and `fork('x')` is the same stream whenever it is
 * called. Give each consumer its own fork (one per simulated host, say), and adding a consumer
 * never shifts another's numbers.
 */
export function createRandom(seed: Seed): Random {
  return new Sfc32(seedKey(seed));
}

class Sfc32 implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `key`: 4 words that identify this stream; the state starts from them. */
  constructor(private readonly key: readonly [number, number, number, number]) {
    this.a = key[0];
    this.b = key[1];
    this.c = key[2];
    this.d = key[3];
    // The first outputs of sfc32 correlate with the seed words; discarding a few decorrelates.
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const t = (((a + b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  float(): number {
    // 53 random bits, so every double in [0, 1) on the 2^-53 grid is equally likely.
    return ((this.u32() >>> 5) * TWO_26 + (this.u32() >>> 6)) / TWO_53;
  }

  int(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= TWO_32)) {
      throw new P2PError(
        `int(n) needs an integer 1 <= n <= 2^32, got ${n}`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    // Rejection sampling: exactly uniform (a plain `u32 % n` favours small results).
    const limit = TWO_32 - (TWO_32 % n);
    let x = this.u32();
    while (x >= limit) x = this.u32();
    return x % n;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const x = this.u32();
      out[i] = x;
      out[i + 1] = x >>> 8;
      out[i + 2] = x >>> 16;
      out[i + 3] = x >>> 24;
    }
    if (i < n) {
      let x = this.u32();
      for (; i < n; i++, x >>>= 8) out[i] = x;
    }
    return out;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  exponential(mean: number): number {
    // 1 - float() is in (0, 1], so the logarithm is finite.
    return -mean * Math.log(1 - this.float());
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0)
      throw new P2PError('pick() from an empty array', 'ERR_INVALID_ARGUMENT');
    return items[this.int(items.length)]!;
  }

  fork(label: string | number): Random {
    const words = [...this.key, 0x666f726b /* "fork" */];
    pushSeedWords(words, label);
    return new Sfc32(mixWords(words));
  }
}

function seedKey(seed: Seed): [number, number, number, number] {
  const words: number[] = [];
  pushSeedWords(words, seed);
  return mixWords(words);
}

/** Appends a type tag and the seed's content as 32-bit words. */
function pushSeedWords(words: number[], seed: Seed): void {
  if (typeof seed === 'number' && Number.isSafeInteger(seed)) seed = BigInt(seed);
  if (typeof seed === 'bigint') {
    words.push(seed < 0n ? 2 : 1);
    let v = seed < 0n ? -seed : seed;
    do {
      words.push(Number(v & 0xffff_ffffn));
      v >>= 32n;
    } while (v > 0n);
  } else if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) {
      throw new P2PError(`seed must be finite, got ${seed}`, 'ERR_INVALID_ARGUMENT');
    }
    words.push(3);
    const bits = new DataView(new ArrayBuffer(8));
    bits.setFloat64(0, seed);
    words.push(bits.getUint32(0), bits.getUint32(4));
  } else if (typeof seed === 'string') {
    words.push(4, seed.length);
    for (let i = 0; i < seed.length; i++) words.push(seed.charCodeAt(i));
  } else if (seed instanceof Uint8Array) {
    words.push(5, seed.length);
    for (const byte of seed) words.push(byte);
  } else {
    throw new P2PError(`unsupported seed type ${typeof seed}`, 'ERR_INVALID_ARGUMENT');
  }
}

/**
 * Hashes words to 128 bits: four multiply-xorshift lanes (in the manner of MurmurHash3's x86_128
 * body) with a final avalanche, so that nearby seeds (1, 2, 3) give unrelated streams.
 */
function mixWords(words: readonly number[]): [number, number, number, number] {
  let h1 = 0x6a09e667;
  let h2 = 0xbb67ae85;
  let h3 = 0x3c6ef372;
  let h4 = 0xa54ff53a;
  for (const w of words) {
    const k = w | 0;
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 ^= words.length;
  h1 = fmix(h1 + h2 + h3 + h4);
  h2 = fmix(h2 + h1);
  h3 = fmix(h3 + h1);
  h4 = fmix(h4 + h1);
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function fmix(h: number): number {
  h |= 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
