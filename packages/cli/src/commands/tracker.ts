import { createTracker } from '@p2pkit/bittorrent';
import { formatAddress, isP2PError } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { type Command, Option } from 'commander';
import { duration, port } from '../options.js';
import { outputMode, plural, writeJson } from '../progress.js';
import { untilSignal } from '../signals.js';
import { describeError, isNodeError } from './bt-source.js';

interface TrackerOptions {
  host: string;
  httpPort: number;
  udpPort: number;
  quiet?: boolean;
  json?: boolean;
  statsInterval: number;
}

/**
 * `p2pkit tracker [--host 127.0.0.1] [--http-port <p>] [--udp-port <p>] [--quiet | --json]`: an
 * open BitTorrent tracker (HTTP and UDP, announce and scrape). Prints the announce URLs it
 * serves, one per line on stdout, and runs until SIGINT or SIGTERM, then closes every socket and
 * exits 0. `DEBUG=p2pkit:tracker*` logs every announce and scrape.
 */
export function registerTracker(program: Command): void {
  program
    .command('tracker')
    .description('run a BitTorrent tracker (HTTP and UDP, announce + scrape) until Ctrl-C')
    .option('--host <ip>', 'address to bind', '127.0.0.1')
    .option('--http-port <port>', 'HTTP port (0 = any free port)', port, 0)
    .option('--udp-port <port>', 'UDP port (0 = any free port)', port, 0)
    .option('-q, --quiet', 'print the announce URLs and errors only')
    .option('--json', 'JSON Lines on stdout: the URLs, periodic counts, a final result')
    .addOption(
      new Option(
        '--stats-interval <duration>',
        'print the counts (torrents, peers, announces, scrapes) this often, e.g. 60, 5m',
      )
        .argParser(duration('s'))
        .default(60_000, '60s'),
    )
    .action(async (options: TrackerOptions) => {
      const mode = outputMode(options);
      const runtime = realRuntime({ host: options.host });
      let tracker: Awaited<ReturnType<typeof createTracker>>;
      try {
        tracker = await createTracker({
          runtime,
          http: { host: options.host, port: options.httpPort },
          udp: { host: options.host, port: options.udpPort },
        });
      } catch (error) {
        await runtime.close();
        if (!isNodeError(error) && !isP2PError(error)) throw error;
        process.stderr.write(
          `p2pkit tracker: cannot listen on ${options.host}: ${describeError(error)} (try another --http-port or --udp-port)\n`,
        );
        if (mode === 'json') writeJson({ type: 'result', status: 'refused', exitCode: 1 });
        process.exitCode = 1;
        return;
      }
      const counts = () => ({
        torrents: tracker.torrents,
        peers: tracker.peers,
        announces: tracker.announces,
        scrapes: tracker.scrapes,
      });
      const describe = () => {
        const c = counts();
        return `${plural(c.torrents, 'torrent')}, ${plural(c.peers, 'peer')}, ${plural(c.announces, 'announce')}, ${plural(c.scrapes, 'scrape')}`;
      };
      if (mode === 'json') {
        writeJson({
          type: 'listening',
          announce: tracker.announceUrls,
          http: tracker.httpAddress ? formatAddress(tracker.httpAddress) : null,
          udp: tracker.udpAddress ? formatAddress(tracker.udpAddress) : null,
        });
      } else {
        for (const url of tracker.announceUrls) process.stdout.write(`${url}\n`);
      }
      if (mode !== 'quiet' && mode !== 'json')
        process.stderr.write('p2pkit tracker: serving (SIGINT or SIGTERM to stop)\n');
      const stats = setInterval(() => {
        if (mode === 'json') writeJson({ type: 'stats', ...counts() });
        else if (mode !== 'quiet') process.stderr.write(`p2pkit tracker: ${describe()}\n`);
      }, options.statsInterval);
      const signal = await untilSignal();
      clearInterval(stats);
      if (mode === 'json')
        writeJson({ type: 'result', status: 'stopped', signal, ...counts(), exitCode: 0 });
      else if (mode !== 'quiet')
        process.stderr.write(`p2pkit tracker: ${signal}, closing: served ${describe()}\n`);
      await tracker.close();
      await runtime.close();
    });
}
