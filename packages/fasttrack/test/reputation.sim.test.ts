import { createMemoryFolder } from '@p2pkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastTrackNode } from '../src/node.js';
import { DEFAULT_LEVEL } from '../src/reputation.js';
import { PIECE_SIZE } from '../src/uuhash.js';
import { Net } from './helpers.js';

let net: Net;
afterEach(async () => {
  await net?.stop();
});

const at = (n: FastTrackNode) => n.address;
const bytes = (n: number, salt: number) => new Uint8Array(n).map((_, i) => (i * 7 + salt) & 0xff);

async function fetch(node: FastTrackNode, words: string) {
  const answer = await net.run(() => node.search(words));
  return net.run(() => node.download(answer.results));
}

describe('participation levels', () => {
  it('come from what others report, not from what a node claims', async () => {
    net = new Net(21);
    const sn = await net.add({ role: 'supernode' });
    const contributor = await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      folder: createMemoryFolder({ files: { 'gift.bin': bytes(3 * PIECE_SIZE, 1) } }),
    });
    await net.run(() => contributor.shareFolder());
    // A free-rider that claims the top level, as Kazaa Lite did.
    const freerider = await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      claimedLevel: 1000,
      folder: createMemoryFolder(),
    });
    await fetch(freerider, 'gift');
    await net.sim.runFor(1_000);
    expect(sn.levelOf(contributor.id)).toBeGreaterThan(DEFAULT_LEVEL);
    expect(sn.levelOf(freerider.id)).toBeLessThan(DEFAULT_LEVEL);
  });

  it('order the upload queue: a contributor waiting behind a free-rider is served first', async () => {
    net = new Net(22);
    const sn = await net.add({ role: 'supernode' });
    const big = bytes(8 * PIECE_SIZE, 3);
    // The uploader: one slot, slow upload, so that requests queue.
    const uploader = await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      uploadSlots: 1,
      upload: 1_000_000,
      folder: createMemoryFolder({ files: { 'big.iso': big } }),
    });
    await net.run(() => uploader.shareFolder());
    const contributor = await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      folder: createMemoryFolder({ files: { 'gift.bin': bytes(4 * PIECE_SIZE, 5) } }),
    });
    await net.run(() => contributor.shareFolder());
    const freerider = await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      folder: createMemoryFolder(),
    });
    const blocker = await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      folder: createMemoryFolder(),
    });
    await fetch(freerider, 'gift'); // the free-rider takes, the contributor gives
    await net.sim.runFor(1_000);
    const answer = await net.run(() => blocker.search('big'));
    const done: string[] = [];
    await net.run(async () => {
      const all: Promise<unknown>[] = [blocker.download(answer.results, { spanPieces: 8 })];
      await blocker.runtime.clock.sleep(50); // the blocker holds the only slot
      all.push(
        freerider
          .download(answer.results, { spanPieces: 8 })
          .then(() => void done.push('freerider')),
      );
      await blocker.runtime.clock.sleep(50); // the free-rider queues first
      all.push(
        contributor
          .download(answer.results, { spanPieces: 8 })
          .then(() => void done.push('contributor')),
      );
      await Promise.all(all);
    });
    expect(done).toEqual(['contributor', 'freerider']);
  });
});
