import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'scenarios/index': 'src/scenarios/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@p2pkit/sim'],
});
