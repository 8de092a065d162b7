#!/usr/bin/env node
// The `p2pkit` command. It starts the built CLI (dist/bin.js); a file of its own, so that a
// checkout links `p2pkit` at `pnpm install`, before anything is built, and says what to do if
// it is run before `pnpm build`.
import { access } from 'node:fs/promises';

const built = new URL('../dist/bin.js', import.meta.url);
try {
  await access(built);
} catch {
  process.stderr.write('p2pkit: not built yet: run `pnpm build` in the repository first\n');
  process.exit(1);
}
await import(built.href);
