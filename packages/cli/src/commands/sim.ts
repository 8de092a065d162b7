import type { Command } from 'commander';

/**
 * The shared `p2pkit sim` group: each protocol adds `p2pkit sim <protocol>` to it (chord, bt,
 * ...). Whoever registers first creates the group; later callers get the same one.
 */
export function simCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'sim');
  if (existing) return existing;
  return program
    .command('sim')
    .description('run a protocol in the deterministic simulator (same code, virtual time)');
}
