/**
 * Debian's aria2c announcing to our tracker (HTTP and UDP): it seeds a torrent we made, our
 * tracker records it, and a leecher announcing through our client is given aria2c's address.
 * Skipped where aria2c is not installed; in CI (which installs it) that is a failure. aria2c announces once at start; these
 * tests wait for that in real time (an external process), at most 15 s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import { afterEach, expect, it } from 'vitest';
import { createTracker, createTrackerClient } from '../../src/index.js';
import { createTorrentFromPath } from '../../src/node/index.js';
import { freePort } from './external.js';
import { describeWithTools, findTool } from './tools.js';

const ARIA2C = findTool('aria2c');

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describeWithTools('aria2c → our tracker', { aria2c: ARIA2C }, () => {
  for (const kind of ['http', 'udp'] as const) {
    it(`${kind}: aria2c seeds, our tracker lists it for a leecher`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'p2pkit-aria2-tracker-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(join(dir, 'data.bin'), randomBytes(100_000));
      const serverRuntime = realRuntime({ host: '127.0.0.1' });
      const clientRuntime = realRuntime({ host: '127.0.0.1' });
      cleanups.push(() => Promise.all([serverRuntime.close(), clientRuntime.close()]));
      const tracker = await createTracker({ runtime: serverRuntime });
      cleanups.push(() => tracker.close());
      const url = tracker.announceUrls.find((u) => u.startsWith(kind))!;
      const { torrent, metainfo } = await createTorrentFromPath(join(dir, 'data.bin'), {
        announce: url,
      });
      await writeFile(join(dir, 'data.torrent'), torrent);
      const port = await freePort('127.0.0.1');
      const dhtPort = await freePort('127.0.0.1');
      const aria: ChildProcess = spawn(
        ARIA2C!,
        [
          `--dir=${dir}`,
          '--check-integrity=true',
          '--seed-ratio=0.0',
          // aria2c speaks UDP trackers only through its DHT socket: enable DHT for UDP, with a
          // routing table file of its own and no bootstrap node (nothing leaves 127.0.0.1).
          ...(kind === 'udp'
            ? [
                '--enable-dht=true',
                `--dht-listen-port=${dhtPort}`,
                `--dht-file-path=${join(dir, 'dht.dat')}`,
              ]
            : ['--enable-dht=false']),
          '--enable-dht6=false',
          '--bt-enable-lpd=false',
          '--enable-peer-exchange=false',
          `--listen-port=${port}`,
          '--console-log-level=warn',
          '--summary-interval=0',
          join(dir, 'data.torrent'),
        ],
        { stdio: 'ignore' },
      );
      cleanups.push(() => {
        aria.kill('SIGKILL');
      });
      // Wait (real time: an external process) until aria2c has announced.
      const deadline = Date.now() + 15_000;
      while (tracker.peers === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(tracker.peers).toBe(1);
      const client = createTrackerClient({ runtime: clientRuntime });
      cleanups.push(() => client.close());
      const reply = await client.announce(url, {
        infoHash: metainfo.infoHash,
        peerId: randomBytes(20),
        port: 6881,
        uploaded: 0,
        downloaded: 0,
        left: metainfo.length,
        event: 'started',
      });
      expect(reply.complete).toBe(1);
      expect(reply.peers).toEqual([{ host: '127.0.0.1', port }]);
    }, 30_000);
  }
});
