// Runs the bittorrent benchmarks (build first: pnpm turbo run build --filter=@p2pkit/bittorrent...).
// Results: bench/results/*.json. Extra arguments go to each benchmark.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, '..', 'dist', 'index.js'))) {
  console.error(
    'dist/ is missing: run `pnpm turbo run build --filter=@p2pkit/bittorrent...` first',
  );
  process.exit(1);
}
const extra = process.argv.slice(2).filter((a) => a !== '--');
for (const [file, defaults] of [['throughput.js', ['--runs', '3']]]) {
  console.log(`# ${file}`);
  const result = spawnSync('node', [join(here, file), ...defaults, ...extra], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
