import { describe, expect, it } from 'vitest';
import { encodePeer } from '../src/messages.js';
import { Peer } from '../src/peer.js';
import { simulate } from '../src/scenarios/simulate.js';
import { spaceFor } from '../src/space.js';

/** What `p2pkit compare` reads from a Chord run: routing state and traffic per lookup. */
describe('simulate(): state and traffic per lookup', () => {
  const nodes = 256;
  const m = 32;
  /** Every peer of a ring of IPv4 hosts takes the same bytes on the wire. */
  const space = spaceFor(m);
  const peerBytes = encodePeer(
    new Peer(space.nodeId('10.0.0.1', 4000), { host: '10.0.0.1', port: 4000 }),
  ).length;

  it('recursive: one datagram per forwarding, plus the first send and the owner’s answer', async () => {
    const seed = 3;
    const r = await simulate({ nodes, lookups: 300, m, seed, mode: 'recursive' });
    expect(r.failedLookups, `seed ${seed}`).toBe(0);
    const hops = r.hops.mean;
    expect(r.messagesPerLookup, `seed ${seed}`).toBeGreaterThanOrEqual(hops + 1);
    expect(r.messagesPerLookup, `seed ${seed}`).toBeLessThanOrEqual(hops + 2);
    expect(r.bytesPerLookup / r.messagesPerLookup).toBeGreaterThan(peerBytes);
    // Successor list (r = max(8, 2·log2 N) = 16) plus distinct fingers, at most m of them.
    expect(r.state.entries, `seed ${seed}`).toBeGreaterThanOrEqual(16);
    expect(r.state.entries, `seed ${seed}`).toBeLessThanOrEqual(16 + m + 1);
    expect(r.state.bytes).toBeCloseTo(r.state.entries * peerBytes, 6);
  });

  it('iterative: a request and a reply per step, so about twice the recursive count', async () => {
    const seed = 3;
    const r = await simulate({ nodes, lookups: 300, m, seed, mode: 'iterative' });
    expect(r.failedLookups, `seed ${seed}`).toBe(0);
    const steps = r.hops.mean + 1;
    expect(r.messagesPerLookup, `seed ${seed}`).toBeGreaterThanOrEqual(2 * (steps - 0.1));
    expect(r.messagesPerLookup, `seed ${seed}`).toBeLessThanOrEqual(2 * steps);
  });
});

/**
 * Under churn a lookup may answer a node that follows the owner when the owner joined so
 * recently that the successor lists it went through did not list it yet (ToN §IV-D); any other
 * wrong owner is a bug. 100 nodes at 0.5 joins and 0.5 failures per second is far harsher churn
 * than ToN Table III's (a third of the ring changes per stabilization period), so wrong owners
 * do occur here.
 */
describe('simulate(): wrong owners under churn', () => {
  it('every wrong owner skipped only nodes that had just joined', async () => {
    const seed = 1;
    const r = await simulate({ nodes: 100, lookups: 300, churn: 0.5, seed });
    expect(r.wrongOwner, `seed ${seed}`).toBeGreaterThan(0);
    expect(r.staleOwner, `seed ${seed}`).toBe(r.wrongOwner);
  });

  it('a static ring has none', async () => {
    const r = await simulate({ nodes: 100, lookups: 300, seed: 1 });
    expect(r).toMatchObject({ wrongOwner: 0, staleOwner: 0 });
  });
});
