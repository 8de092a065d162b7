import { latency, Simulation, seedFromEnv, withSeed } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bencode/index.js';
import { createAnnouncer, createTracker, createTrackerClient } from '../../src/tracker/index.js';

/**
 * The same tracker code in the simulator: 120 peers on lossy, variable-latency links announce to
 * one tracker over HTTP and UDP (UDP retransmits through the loss), find each other, and leave.
 */
describe('tracker in the simulator', () => {
  it('120 announcers over HTTP and UDP with 10% datagram loss', async () => {
    const seed = seedFromEnv(20261126);
    await withSeed(seed, async () => {
      const sim = new Simulation({ seed, latency: latency.uniform(5, 80), loss: 0.1 });
      const trackerHost = sim.addHost();
      const tracker = await createTracker({ runtime: trackerHost, intervalS: 300 });
      const infoHash = new Uint8Array(20).fill(7);
      const hosts = sim.addHosts(120);
      const found = new Map<number, Set<string>>();
      const announcers = hosts.map((host, i) => {
        const client = createTrackerClient({
          runtime: host,
          udp: { retryBaseMs: 2000, maxRetries: 5 },
        });
        const peerId = host.random.bytes(20);
        const announcer = createAnnouncer({
          runtime: host,
          client,
          // Half the peers list UDP first, half HTTP: both front ends carry load.
          announceList: [i % 2 === 0 ? [tracker.announceUrls[1]!] : [tracker.announceUrls[0]!]],
          infoHash,
          peerId,
          port: 6881,
          stats: () => ({ uploaded: 0, downloaded: 0, left: i < 10 ? 0 : 1000 }),
          numwant: 30,
        });
        found.set(i, new Set());
        announcer.on('peers', (peers) => {
          for (const p of peers) found.get(i)!.add(p.host);
        });
        return { announcer, client, host };
      });
      // Arrivals spread over 10 s of virtual time.
      announcers.forEach(({ announcer }, i) => {
        sim.at(i * 80, () => announcer.start());
      });
      await sim.runUntil(() => tracker.peers === 120, { timeoutMs: 120_000 });
      // Peers that arrived early re-announce after the interval and then see the whole swarm.
      await sim.runFor(310_000);
      for (const [i, hostsSeen] of found) {
        expect(hostsSeen.has(hosts[i]!.host), `peer ${i} was given itself`).toBe(false);
        expect(hostsSeen.size, `peer ${i} found too few peers`).toBeGreaterThanOrEqual(20);
      }
      const client = createTrackerClient({ runtime: hosts[0]!, udp: { retryBaseMs: 2000 } });
      const scrape = client.scrape(tracker.announceUrls[0]!, [infoHash]);
      await sim.runFor(5_000);
      expect((await scrape).get(toHex(infoHash))).toEqual({
        complete: 10,
        incomplete: 110,
        downloaded: 0,
      });
      // Everyone leaves: `stopped` empties the swarm.
      const stops = announcers.map(({ announcer }) => announcer.stop());
      await sim.runFor(60_000);
      await Promise.all(stops);
      expect(tracker.peers).toBeLessThanOrEqual(12); // a few `stopped` lost to UDP loss is allowed
      await Promise.all(announcers.map(({ client }) => client.close()));
      await client.close();
      await tracker.close();
    });
  });
});
