import type { Command } from 'commander';
import { integer } from '../options.js';
import { runTour } from '../tour/run.js';
import { tourSteps } from '../tour/steps.js';

export function registerTour(program: Command): void {
  program
    .command('tour')
    .description('start real nodes on 127.0.0.1 and show what each protocol does')
    .option(
      '--timeout <ms>',
      'give up after this many milliseconds',
      integer(1, 2_147_483_647),
      60_000,
    )
    .action(async (options: { timeout: number }) => {
      const failures = await runTour({ steps: tourSteps, timeoutMs: options.timeout });
      process.exitCode = failures === 0 ? 0 : 1;
    });
}
