import { defineConfig } from 'tsup';

export default defineConfig({
  // compare-worker: one run of `p2pkit compare` on a worker thread (src/compare/pool.ts loads it
  // from next to the chunk that holds runComparison, i.e. dist/).
  entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'compare-worker': 'src/compare/worker.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The report module is private (not published): `p2pkit compare --out` carries it in the
  // build, loaded on demand; its runtime dependencies (vega, vega-lite, marked) are the cli's.
  noExternal: ['@p2pkit/report'],
});
