// Shared helpers for core's benchmarks: plain Node scripts over dist/, never run by tests.

/** Keeps results alive so the optimiser cannot drop the measured work. */
export let sink = 0;
export function consume(value) {
  sink = (sink + (typeof value === 'number' ? value : 1)) | 0;
}

/**
 * Runs `op` (one operation per call) in batches until `minTimeMs` have passed, `rounds` times,
 * and returns the best rate in operations per second (best of: least disturbed by the other
 * processes sharing the machine).
 */
export function opsPerSecond(op, { minTimeMs = 250, rounds = 3 } = {}) {
  let batch = 1;
  // Calibrate a batch to ~10 ms (also serves as warm-up).
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) op(i);
    const elapsed = performance.now() - start;
    if (elapsed > 10 || batch >= 1 << 30) break;
    batch *= elapsed < 1 ? 8 : 2;
  }
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let done = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < minTimeMs) {
      for (let i = 0; i < batch; i++) op(i);
      done += batch;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (done / elapsed) * 1000);
  }
  return best;
}

/** One result row. `value` in `unit`; `note` says what it compares with. */
export function row(bench, name, value, unit, note = '') {
  return { bench, name, value, unit, note };
}

export function format(value) {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(value >= 100 ? 0 : 2);
}
