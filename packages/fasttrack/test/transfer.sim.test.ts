import { createMemoryFolder, sha1 } from '@p2pkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { hashContent, hashToHex, PIECE_SIZE } from '../src/uuhash.js';
import { Net } from './helpers.js';

let net: Net;
afterEach(async () => {
  await net?.stop();
});

const hasher = { sha1: (d: Uint8Array) => sha1(d) };
const at = (n: { address: { host: string; port: number } }) => n.address;

function content(size: number, salt = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 13 + salt + (i >>> 11)) & 0xff;
  return out;
}

describe('downloads', () => {
  it('fetches pieces from several holders at once and verifies the file', async () => {
    net = new Net(11);
    const data = content(6 * PIECE_SIZE + 1234);
    const sn = await net.add({ role: 'supernode' });
    const holders = [];
    for (let i = 0; i < 3; i++) {
      const folder = createMemoryFolder({ files: { 'album.flac': data } });
      const h = await net.add({ role: 'ordinary', peers: [at(sn)], folder });
      await net.run(() => h.shareFolder());
      holders.push(h);
    }
    const mine = createMemoryFolder();
    const me = await net.add({ role: 'ordinary', peers: [at(sn)], folder: mine });
    const answer = await net.run(() => me.search('album'));
    expect(answer.results.length).toBe(3);
    const result = await net.run(() => me.download(answer.results, { spanPieces: 1 }));
    expect(result.size).toBe(data.length);
    expect(result.sources.length).toBeGreaterThan(1);
    expect(result.rejected).toEqual([]);
    expect(hashToHex(sha1(mine.get('album.flac')!))).toBe(hashToHex(sha1(data)));
  });

  it('drops a holder whose bytes do not match and finishes from the others', async () => {
    net = new Net(12);
    const data = content(5 * PIECE_SIZE);
    const bad = data.slice();
    bad[2 * PIECE_SIZE + 10] = (bad[2 * PIECE_SIZE + 10] ?? 0) ^ 0xff; // outside the UUHash samples: same UUHash, wrong piece
    const good = hashContent(data, hasher);
    expect(hashToHex(hashContent(bad, hasher).uuhash)).toBe(hashToHex(good.uuhash));
    const sn = await net.add({ role: 'supernode' });
    const file = { ...good, size: data.length, name: 'movie.avi', path: 'movie.avi', tags: {} };
    const liar = await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      folder: createMemoryFolder({ files: { 'movie.avi': bad } }),
      files: [file],
    });
    await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      folder: createMemoryFolder({ files: { 'movie.avi': data } }),
      files: [file],
    });
    const mine = createMemoryFolder();
    const me = await net.add({ role: 'ordinary', peers: [at(sn)], folder: mine });
    const answer = await net.run(() => me.search('movie'));
    // The liar first, so that it is sure to be asked for pieces.
    const ordered = [...answer.results].sort((a) => (a.holder.host === liar.address.host ? -1 : 1));
    const result = await net.run(() => me.download(ordered, { spanPieces: 1, maxSources: 2 }));
    expect(result.rejected).toEqual([liar.address]);
    expect(hashToHex(sha1(mine.get('movie.avi')!))).toBe(hashToHex(sha1(data)));
  });

  it('gets a file from a firewalled holder through a Push via its supernode', async () => {
    net = new Net(13);
    const data = content(PIECE_SIZE + 99);
    const sn = await net.add({ role: 'supernode' });
    const holder = await net.add({
      role: 'ordinary',
      peers: [at(sn)],
      firewalled: true,
      firewalledHost: true,
      folder: createMemoryFolder({ files: { 'talk.mp3': data } }),
    });
    await net.run(() => holder.shareFolder());
    const mine = createMemoryFolder();
    const me = await net.add({ role: 'ordinary', peers: [at(sn)], folder: mine });
    const answer = await net.run(() => me.search('talk'));
    expect(answer.results[0]!.firewalled).toBe(true);
    const result = await net.run(() => me.download(answer.results));
    expect(result.pushed).toBeGreaterThan(0);
    expect(mine.get('talk.mp3')?.length).toBe(data.length);
  });
});
