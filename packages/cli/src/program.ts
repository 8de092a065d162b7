import { Command, CommanderError } from 'commander';
import { registerBt } from './commands/bt.js';
import { registerChord } from './commands/chord.js';
import { registerCompare } from './commands/compare.js';
import { registerFastTrack } from './commands/fasttrack.js';
import { registerGnutella } from './commands/gnutella.js';
import { registerKelips } from './commands/kelips.js';
import { registerNapster } from './commands/napster.js';
import { registerPastry } from './commands/pastry.js';
import { simCommand } from './commands/sim.js';
import { registerSimBt } from './commands/sim-bt.js';
import { registerTour } from './commands/tour.js';
import { registerTracker } from './commands/tracker.js';
import { version } from './version.js';

/**
 * Builds the `p2pkit` command. Each protocol registers its own subcommands from
 * src/commands/<protocol>.ts, so adding a protocol touches one line here.
 */
export function createProgram(): Command {
  const program = new Command('p2pkit')
    .description('The classic peer-to-peer protocols, done properly: run, simulate, compare.')
    .version(version, '-v, --version')
    // No showHelpAfterError: a bad option or argument gets one line naming it (commander's own);
    // the full usage is one --help away.
    .exitOverride();
  registerTour(program);
  registerTracker(program);
  registerBt(program);
  registerChord(program);
  registerFastTrack(program);
  registerGnutella(program);
  registerKelips(program);
  registerNapster(program);
  registerPastry(program);
  registerSimBt(simCommand(program));
  registerCompare(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}
