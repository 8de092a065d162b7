import { createTracker } from '@p2pkit/bittorrent';
import { realRuntime } from '@p2pkit/core/node';
import type { Command } from 'commander';
import { parsePort, untilSignal } from './bt.js';

/**
 * `p2pkit tracker [--host 127.0.0.1] [--http-port <p>] [--udp-port <p>]`: an open BitTorrent
 * tracker (HTTP and UDP, announce and scrape). Prints the announce URLs it serves, one per line
 * on stdout, and runs until SIGINT or SIGTERM, then closes every socket and exits 0.
 */
export function registerTracker(program: Command): void {
  program
    .command('tracker')
    .description('run a BitTorrent tracker (HTTP and UDP, announce + scrape) until Ctrl-C')
    .option('--host <ip>', 'address to bind', '127.0.0.1')
    .option('--http-port <port>', 'HTTP port (0 = any free port)', '0')
    .option('--udp-port <port>', 'UDP port (0 = any free port)', '0')
    .action(async (options: { host: string; httpPort: string; udpPort: string }) => {
      const runtime = realRuntime({ host: options.host });
      const tracker = await createTracker({
        runtime,
        http: { host: options.host, port: parsePort(options.httpPort, '--http-port') },
        udp: { host: options.host, port: parsePort(options.udpPort, '--udp-port') },
      });
      for (const url of tracker.announceUrls) process.stdout.write(`${url}\n`);
      process.stderr.write('p2pkit tracker: serving (SIGINT or SIGTERM to stop)\n');
      const signal = await untilSignal();
      process.stderr.write(`p2pkit tracker: ${signal}, closing\n`);
      await tracker.close();
      await runtime.close();
    });
}
