import type { Command } from 'commander';
import { registerBtCreate } from './bt-create.js';
import { registerBtInfo } from './bt-info.js';
import { registerBtGet, registerBtSeed } from './bt-transfer.js';

/**
 * `p2pkit bt <subcommand>`: BitTorrent. Each subcommand lives in its own file and adds itself to
 * the `bt` group; a new one is a file plus one line here.
 */
export function registerBt(program: Command): void {
  const bt = program
    .command('bt')
    .description('BitTorrent: create, inspect, seed and download torrents');
  registerBtCreate(bt);
  registerBtInfo(bt);
  registerBtSeed(bt);
  registerBtGet(bt);
}
