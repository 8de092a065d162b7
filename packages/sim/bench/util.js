// Shared helpers of the benchmarks: a tiny seeded PRNG and a JSON result line for run.js.

/** sfc32 in [0, 1), seeded: benchmarks repeat exactly. */
export function rng(seed) {
  let a = seed >>> 0;
  let b = 0x9e3779b9;
  let c = 0x243f6a88;
  let d = 1;
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Prints one machine-readable line that bench/run.js collects. */
export function report(name, figures) {
  console.log(`RESULT ${JSON.stringify({ name, figures })}`);
}

export function mib(bytes) {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/**
 * A stopwatch of this process's CPU time (user + system), in seconds. The build machines are
 * shared (load averages of 5-9 on 2 cores are common): rates per CPU-second repeat, rates per
 * wall second swing with the neighbours. Benchmarks report CPU-second rates and the wall time.
 */
export function stopwatch() {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  return () => {
    const used = process.cpuUsage(cpu);
    return { cpu: (used.user + used.system) / 1e6, wall: (performance.now() - wall) / 1000 };
  };
}
