import type { Command } from 'commander';
import { runTour } from '../tour/run.js';
import { tourSteps } from '../tour/steps.js';

export function registerTour(program: Command): void {
  program
    .command('tour')
    .description('start real nodes on 127.0.0.1 and show what each protocol does')
    .option('--timeout <ms>', 'give up after this many milliseconds', '60000')
    .action(async (options: { timeout: string }) => {
      const failures = await runTour({ steps: tourSteps, timeoutMs: Number(options.timeout) });
      process.exitCode = failures === 0 ? 0 : 1;
    });
}
