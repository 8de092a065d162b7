/**
 * A rolling 64-bit hash (two MurmurHash3-style 32-bit lanes) of the event history: each
 * executed event mixes in its kind, virtual time, host and a number (port, byte count). Two runs
 * with one seed must end with the same hash; the determinism tests compare it. A few ns per
 * event; 'full' mode also mixes payload bytes.
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

export class TraceHash {
  private h1 = 0x2545f491;
  private h2 = 0x9e3779b9 | 0;
  /** Events mixed so far. */
  events = 0;

  event(kind: number, time: number, host: number, value: number): void {
    f64[0] = time;
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = lane1(h1, kind);
    h2 = lane2(h2, kind);
    h1 = lane1(h1, u32[0]!);
    h2 = lane2(h2, u32[1]!);
    h1 = lane1(h1, u32[1]!);
    h2 = lane2(h2, u32[0]!);
    h1 = lane1(h1, host);
    h2 = lane2(h2, host);
    h1 = lane1(h1, value | 0);
    h2 = lane2(h2, value | 0);
    this.h1 = h1;
    this.h2 = h2;
    this.events++;
  }

  bytes(data: Uint8Array): void {
    let h1 = this.h1;
    let h2 = this.h2;
    const n = data.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const w = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
      h1 = lane1(h1, w);
      h2 = lane2(h2, w);
    }
    for (; i < n; i++) {
      h1 = lane1(h1, data[i]!);
      h2 = lane2(h2, data[i]!);
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  /** 16 hex digits. */
  hex(): string {
    const a = fmix(this.h1 ^ this.events) >>> 0;
    const b = fmix(this.h2 ^ a) >>> 0;
    return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
  }
}

function lane1(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function lane2(h: number, k: number): number {
  k = Math.imul(k, 0x85ebca6b);
  k = (k << 13) | (k >>> 19);
  k = Math.imul(k, 0xc2b2ae35);
  h ^= k;
  h = (h << 17) | (h >>> 15);
  return (Math.imul(h, 9) + 0x38b34ae5) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
