import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'node/index': 'src/node/index.ts',
    'scenarios/index': 'src/scenarios/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The simulator is an optional peer dependency of the scenarios subpath only.
  external: ['@p2pkit/sim'],
});
