// Runs the bittorrent benchmarks (build first: pnpm turbo run build --filter=@p2pkit/bittorrent...).
// Results: bench/results/*.json. Extra arguments go to throughput.js (e.g. --size 1024 --runs 1).
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
const benches = [
  ['formats.js', []],
  ['mse.js', []],
  ['throughput.js', ['--runs', '3']],
];
for (const [file, defaults] of benches) {
  if (!existsSync(join(here, file))) continue;
  console.log(`# ${file}`);
  const args = file === 'throughput.js' ? [...defaults, ...extra] : defaults;
  const result = spawnSync('node', [join(here, file), ...args], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
