#!/usr/bin/env node
import { main } from './program.js';

// A reader that goes away (`p2pkit ... | head`) ends any command quietly, as Unix tools do,
// instead of with an EPIPE stack trace: what it wanted was written.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE')
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  throw error;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`p2pkit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
