import { createMemoryFolder, createMemoryNetwork, httpRequest, sha1 } from '@p2pkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { guidFromHex } from '../src/guid.js';
import type { ServentOptions } from '../src/options.js';
import { Servent } from '../src/servent.js';
import { formatGiv, localName, parseGetTarget, parseGiv } from '../src/transfer.js';
import { sha1Urn } from '../src/urn.js';

async function settle(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

const content = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('HTTP downloads, Range, Push/GIV', () => {
  const started: Servent[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop();
  });

  async function network() {
    const net = createMemoryNetwork();
    let n = 0;
    const make = async (options: Omit<ServentOptions, 'runtime'>) => {
      n++;
      const s = new Servent({
        runtime: net.runtime(`10.0.1.${n}`),
        pingIntervalMs: 0,
        maintain: false,
        ...options,
      });
      await s.start();
      if (options.folder) await s.shareFolder(options.folder);
      started.push(s);
      return s;
    };
    return { net, make };
  }

  it('downloads a hit with GET /get/<index>/<name>, verified against its urn, resuming a .part', async () => {
    const { net, make } = await network();
    const data = content(300_000, 1);
    const holderFolder = createMemoryFolder({ files: { 'Big Song.mp3': data } });
    const holder = await make({ role: 'ultrapeer', folder: holderFolder });
    const seekerFolder = createMemoryFolder();
    const seeker = await make({ role: 'leaf' });
    await seeker.connect(holder.address);
    await settle();
    const search = seeker.search('big song');
    await settle();
    const hit = search.hits[0]!;
    expect(hit).toMatchObject({ name: 'Big Song.mp3', size: 300_000, urn: sha1Urn(sha1(data)) });
    // An interrupted earlier attempt left 100,000 bytes.
    const part = await seekerFolder.write('Big Song.mp3');
    await part.write(data.subarray(0, 100_000));
    await part.close();
    const progress: number[] = [];
    const result = await seeker.download(hit, {
      folder: seekerFolder,
      onProgress: (d) => progress.push(d),
    });
    expect(result).toMatchObject({
      name: 'Big Song.mp3',
      size: 300_000,
      fetched: 200_000,
      pushed: false,
      urn: hit.urn,
    });
    expect(seekerFolder.get('Big Song.mp3')).toEqual(data);
    expect(progress.at(-1)).toBe(300_000);
    expect(seekerFolder.partials()).toEqual([]);
    // By urn, and Range answered with 206 and Content-Range.
    const r = await httpRequest(
      net.runtime('10.0.1.99'),
      `http://${hit.host}:${hit.port}/uri-res/N2R?${hit.urn}`,
      {
        headers: { Range: 'bytes=10-19' },
      },
    );
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 10-19/300000');
    expect(r.headers.get('x-gnutella-content-urn')).toBe(hit.urn);
    expect(await r.body.bytes()).toEqual(data.subarray(10, 20));
  }, 20_000);

  it('a firewalled holder gets a Push, connects back with GIV and serves the GET on that socket', async () => {
    const { make } = await network();
    const data = content(50_000, 2);
    const up = await make({ role: 'ultrapeer' });
    const hidden = await make({
      role: 'leaf',
      firewalled: true,
      folder: createMemoryFolder({ files: { 'secret.txt': data } }),
    });
    const seeker = await make({ role: 'leaf' });
    await hidden.connect(up.address);
    await seeker.connect(up.address);
    await settle();
    const search = seeker.search('secret');
    await settle();
    const hit = search.hits[0]!;
    expect(hit.push).toBe(true);
    const folder = createMemoryFolder();
    const result = await seeker.download(hit, { folder });
    expect(result).toMatchObject({ pushed: true, size: 50_000, fetched: 50_000 });
    expect(folder.get('secret.txt')).toEqual(data);
  }, 20_000);

  it('content that does not match the urn of the hit is reported, not accepted', async () => {
    const { make } = await network();
    const folder = createMemoryFolder({ files: { 'song.ogg': content(20_000, 4) } });
    const holder = await make({ role: 'ultrapeer', folder });
    const seeker = await make({ role: 'leaf' });
    await seeker.connect(holder.address);
    await settle();
    const search = seeker.search('song');
    await settle();
    folder.put('song.ogg', content(20_000, 5)); // the holder's file changed since it was hashed
    await expect(
      seeker.download(search.hits[0]!, { folder: createMemoryFolder() }),
    ).rejects.toMatchObject({
      code: 'ERR_HASH_MISMATCH',
    });
  }, 20_000);

  it('refuses what is not shared: other paths, wrong names, .. and non-GET methods', async () => {
    const { net, make } = await network();
    const holder = await make({
      role: 'ultrapeer',
      folder: createMemoryFolder({ files: { 'a.txt': content(10, 3) } }),
    });
    const runtime = net.runtime('10.0.1.98');
    const base = `http://${holder.address.host}:${holder.address.port}`;
    const status = async (path: string, method = 'GET') => {
      try {
        const r = await httpRequest(runtime, base + path, { method });
        await r.body.discard();
        return r.status;
      } catch {
        return 'refused'; // core's server resets on methods it does not implement
      }
    };
    expect(await status('/get/0/a.txt')).toBe(200);
    expect(await status('/get/0/a.txt/')).toBe(200);
    expect(await status('/get/0/b.txt')).toBe(404);
    expect(await status('/get/1/a.txt')).toBe(404);
    expect(await status('/get/0/..%2F..%2Fetc%2Fpasswd')).toBe(404);
    expect(await status('/etc/passwd')).toBe(404);
    expect(await status('/get/0/a.txt', 'DELETE')).not.toBe(200);
  }, 20_000);

  it('GIV lines, GET targets and local names', () => {
    const guid = guidFromHex('809BC12168A1852CFF5D7A785833F600');
    expect(
      new TextDecoder().decode(formatGiv({ index: 36, serventId: guid, name: 'Foo.txt' })),
    ).toBe('GIV 36:809BC12168A1852CFF5D7A785833F600/Foo.txt\n\n');
    expect(parseGiv('GIV 36:809bc12168a1852cff5d7a785833f600/Foo.txt')).toEqual({
      index: 36,
      serventId: guid,
      name: 'Foo.txt',
    });
    expect(() => parseGiv('GIVE 1:00/x')).toThrow();
    expect(parseGetTarget('/get/3/a%20b.mp3')).toEqual({
      kind: 'index',
      index: 3,
      name: 'a b.mp3',
    });
    expect(parseGetTarget('/get/3/a b.mp3/')).toEqual({ kind: 'index', index: 3, name: 'a b.mp3' });
    expect(parseGetTarget('/uri-res/N2R?urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ')).toEqual({
      kind: 'urn',
      urn: 'urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ',
    });
    expect(parseGetTarget('/uri-res/N2R?urn:sha1:short')).toBeUndefined();
    expect(localName('../../etc/passwd')).toBe('__.._etc_passwd');
    expect(localName('music/a.mp3')).toBe('music_a.mp3');
  });
});
