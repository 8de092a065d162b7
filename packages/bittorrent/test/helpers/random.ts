import type { Random } from '@p2pkit/core';

/** A small seeded Random for unit tests (xorshift32), until tests need core's createRandom. */
export function testRandom(seed = 1): Random {
  let state = seed >>> 0 || 0x9e3779b9;
  const u32 = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const random: Random = {
    u32,
    float: () => u32() / 2 ** 32,
    int: (n) => Math.floor((u32() / 2 ** 32) * n),
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = u32() & 0xff;
      return out;
    },
    chance: (p) => u32() / 2 ** 32 < p,
    exponential: (mean) => -mean * Math.log(1 - u32() / 2 ** 32),
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor((u32() / 2 ** 32) * (i + 1));
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      return items;
    },
    pick: (items) => {
      if (items.length === 0) throw new RangeError('empty');
      return items[Math.floor((u32() / 2 ** 32) * items.length)]!;
    },
    fork: (label) => testRandom((seed * 31 + String(label).length * 7919 + 1) >>> 0),
  };
  return random;
}
