import type { Command } from 'commander';
import { simCommand } from './sim.js';
import { registerSimFastTrack } from './sim-fasttrack.js';

/**
 * `p2pkit fasttrack start|search|get` (real nodes over TCP) and `p2pkit sim fasttrack`. The
 * command shapes and the JSON output are contracts scripts rely on (issue 17).
 */
export function registerFastTrack(program: Command): void {
  program
    .command('fasttrack')
    .description('FastTrack (Kazaa): supernodes index their children, queries go among supernodes');
  registerSimFastTrack(simCommand(program));
}
