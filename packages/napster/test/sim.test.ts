/**
 * The simulated world of `p2pkit sim napster`: clients log in and share, searches find files,
 * downloads go peer to peer (pushed from firewalled uploaders) and arrive intact; one seed
 * gives one history.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/scenarios/index.js';

describe('simulate', () => {
  it('finds and downloads files; the same seed gives the same figures', async () => {
    const options = { clients: 20, filesPerClient: 30, searches: 150, downloads: 4, seed: 7 };
    const a = await simulate(options);
    expect(a.files).toBe(20 * 30);
    expect(a.successRate).toBeGreaterThan(0.9);
    expect(a.hops).toBe(1);
    // One search in, its results and the 202 out.
    expect(a.serverMessagesPerSearch).toBeCloseTo(2 + a.meanResults, 5);
    // The fields p2pkit compare reads, named as in the other protocols' simulations.
    expect(a.messagesPerLookup).toBe(a.serverMessagesPerSearch);
    expect(a.bytesPerLookup).toBe(a.serverBytesPerSearch);
    // A search is at least its 4-byte header both ways plus a 201 per result.
    expect(a.bytesPerLookup).toBeGreaterThan(8 + 4 * a.meanResults);
    expect(a.memoryPerNode.entries).toBe(a.clientRoutingEntries);
    expect(a.memoryPerNode.bytes).toBe(a.clientRoutingBytes);
    // `a.b.c.d:8888`: 12 to 20 bytes.
    expect(a.clientRoutingBytes).toBeGreaterThanOrEqual(12);
    expect(a.clientRoutingBytes).toBeLessThanOrEqual(20);
    // One round trip at 25 ms each way, plus serialization at 1 MB/s.
    expect(a.searchLatencyMs.p50).toBeGreaterThanOrEqual(50);
    expect(a.searchLatencyMs.p50).toBeLessThan(52);
    expect(a.downloads.requested).toBeGreaterThan(0);
    expect(a.downloads.completed + a.downloads.failed).toBe(a.downloads.requested);
    expect(a.downloads.completed).toBeGreaterThan(0);
    expect(a.serverIndexBytesPerFile).toBeGreaterThan(48);
    expect(a.serverIndexBytesPerFile).toBeLessThan(2000);
    const b = await simulate(options);
    expect({ ...b, wallMs: 0 }).toEqual({ ...a, wallMs: 0 });
  }, 120_000);

  it('the index grows with the files: each added file costs 48..300 bytes', async () => {
    const run = (clients: number) =>
      simulate({ clients, filesPerClient: 60, searches: 20, downloads: 0, seed: 5 });
    const small = await run(10);
    const large = await run(40);
    expect(large.files).toBeGreaterThan(3.9 * small.files);
    // The marginal cost: fixed overheads (first allocations) cancel out.
    const perFile = (large.serverIndexBytes - small.serverIndexBytes) / (large.files - small.files);
    expect(perFile).toBeGreaterThan(48);
    expect(perFile).toBeLessThan(300);
  }, 60_000);

  it('crashed clients: the server drops their files; searches come from the survivors', async () => {
    const r = await simulate({
      clients: 20,
      filesPerClient: 20,
      searches: 100,
      downloads: 2,
      fail: 0.5,
      seed: 4,
    });
    expect(r.crashed).toBe(10);
    expect(r.filesAfterCrash).toBeLessThan(r.files);
    expect(r.filesAfterCrash).toBeGreaterThan(0);
    expect(r.successRate).toBeGreaterThan(0.3);
  }, 60_000);

  it('runs a caller-given workload: items to store, keys to look up', async () => {
    const items = Array.from({ length: 50 }, (_, i) => `item${i}`);
    const r = await simulate({
      clients: 10,
      items,
      keys: items,
      searches: 50,
      downloads: 0,
      firewalled: 0,
      seed: 3,
    });
    expect(r.files).toBe(50);
    // Each key names exactly one item; the searcher may own it (own files are never returned).
    expect(r.meanResults).toBeLessThanOrEqual(1);
    expect(r.successRate).toBeGreaterThan(0.8);
  }, 60_000);
});
