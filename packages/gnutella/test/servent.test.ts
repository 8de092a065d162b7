import { type Address, createMemoryNetwork } from '@p2pkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeDescriptor } from '../src/descriptors.js';
import { newGuid } from '../src/guid.js';
import { formatConnect, HandshakeReader } from '../src/handshake.js';
import type { ServentOptions, SharedFile } from '../src/options.js';
import { Servent } from '../src/servent.js';

/** Lets the memory network's microtask deliveries run to quiescence. */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

const files = (names: string[]): SharedFile[] =>
  names.map((name, index) => ({ index, name, size: 1000 + index }));

describe('servent on the memory network', () => {
  const started: Servent[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop();
  });

  function world() {
    const net = createMemoryNetwork();
    let n = 0;
    const make = async (options: Omit<ServentOptions, 'runtime'>) => {
      n++;
      const s = new Servent({
        runtime: net.runtime(`10.0.0.${n}`),
        pingIntervalMs: 0,
        maintain: false,
        ...options,
      });
      await s.start();
      started.push(s);
      return s;
    };
    return { net, make };
  }

  it('two ultrapeers handshake with deflate both ways and answer a query', async () => {
    const { make } = world();
    const a = await make({ role: 'ultrapeer', files: files(['Greatest Songs.mp3', 'other.txt']) });
    const b = await make({ role: 'ultrapeer' });
    const c = await b.connect(a.address);
    expect(c).toMatchObject({ ultrapeer: true, outgoing: true, deflate: true });
    await settle();
    expect(a.connections()).toMatchObject([{ ultrapeer: true, outgoing: false, deflate: true }]);
    const search = b.search('greatest song');
    await settle();
    expect(search.hits).toMatchObject([
      {
        name: 'Greatest Songs.mp3',
        size: 1000,
        index: 0,
        host: a.address.host,
        port: a.address.port,
        push: false,
        vendor: 'P2PK',
        hops: 1,
      },
    ]);
    expect(a.stats.received.query).toBe(1);
    expect(b.stats.received.queryhit).toBe(1);
  });

  it('routes by QRP: an ultrapeer forwards a query to a leaf only on a match', async () => {
    const { make } = world();
    const up = await make({ role: 'ultrapeer' });
    const holder = await make({ role: 'leaf', files: files(['linux distribution image.iso']) });
    const other = await make({ role: 'leaf', files: files(['cooking recipes.pdf']) });
    const seeker = await make({ role: 'leaf' });
    for (const leaf of [holder, other, seeker])
      expect(await leaf.connect(up.address)).toBeDefined();
    await settle();
    const hits = seeker.search('linux image');
    await settle();
    expect(hits.hits.map((h) => h.name)).toEqual(['linux distribution image.iso']);
    expect(holder.stats.received.query).toBe(1);
    expect(other.stats.received.query ?? 0).toBe(0);
    // A query nobody's table matches reaches no leaf at all.
    seeker.search('zebra crossing');
    await settle();
    expect(up.stats.received.query).toBe(2);
    expect(holder.stats.received.query).toBe(1);
    expect(other.stats.received.query ?? 0).toBe(0);
  });

  it('last-hop QRP between ultrapeers: a TTL-1 copy goes only to a peer whose leaves match', async () => {
    const { net, make } = world();
    const source = await make({ role: 'ultrapeer' });
    const withLeaf = await make({ role: 'ultrapeer' });
    const without = await make({ role: 'ultrapeer', files: files(['cooking recipes.pdf']) });
    const old = await make({ role: 'ultrapeer', ultrapeerQueryRouting: false });
    const leaf = await make({ role: 'leaf', files: files(['linux distribution image.iso']) });
    expect(await leaf.connect(withLeaf.address)).toBeDefined();
    for (const up of [withLeaf, without, old]) await source.connect(up.address);
    await settle();
    // The ultrapeers tell their peers the union of their leaves' tables (and their own) after
    // ultrapeerTableDelayMs; an ultrapeer that did not offer X-Ultrapeer-Query-Routing gets none.
    net.clock.advance(1000);
    await settle();
    expect(source.routingState().qrpTables).toBe(2);
    expect(old.routingState().qrpTables).toBe(0);
    const hits = source.search('linux image', { ttl: 1 });
    await settle();
    expect(hits.hits.map((h) => h.name)).toEqual(['linux distribution image.iso']);
    expect(withLeaf.stats.received.query).toBe(1);
    expect(without.stats.received.query ?? 0).toBe(0); // its table says no
    expect(old.stats.received.query).toBe(1); // no table: everything, as before QRP
    source.search('recipes', { ttl: 1 });
    await settle();
    expect(without.stats.received.query).toBe(1); // its own files are in its table
    expect(withLeaf.stats.received.query).toBe(1);
    // With TTL 2 the copies are not on their last hop: every peer gets them.
    source.search('zebra crossing', { ttl: 2 });
    await settle();
    expect(withLeaf.stats.received.query).toBe(2);
    expect(without.stats.received.query).toBe(2);
    // A leaf leaving: its keywords leave the union its ultrapeer sends.
    await leaf.stop();
    await settle();
    net.clock.advance(1000);
    await settle();
    source.search('linux image', { ttl: 1 });
    await settle();
    expect(withLeaf.stats.received.query).toBe(2);
  });

  it('floods with TTL and drops duplicates: a ring of 4 ultrapeers', async () => {
    const { make } = world();
    const nodes: Servent[] = [];
    for (let i = 0; i < 4; i++)
      nodes.push(await make({ role: 'ultrapeer', files: files([`file${i} common.txt`]) }));
    for (let i = 0; i < 4; i++) await nodes[i]!.connect(nodes[(i + 1) % 4]!.address);
    await settle();
    const s = nodes[0]!.search('common', { ttl: 2 });
    await settle();
    // TTL 2 reaches the two neighbours and the opposite node (twice: one copy dropped).
    expect(s.hits.map((h) => h.name).sort()).toEqual([
      'file1 common.txt',
      'file2 common.txt',
      'file3 common.txt',
    ]);
    expect(nodes[2]!.stats.received.query).toBe(2);
    expect(nodes[2]!.stats.dropped.query).toBe(1);
  });

  it('a leaf refuses incoming connections with 503 and X-Try-Ultrapeers', async () => {
    const { net, make } = world();
    const up = await make({ role: 'ultrapeer' });
    const leaf = await make({ role: 'leaf' });
    await leaf.connect(up.address);
    await settle();
    const conn = await net.runtime('10.0.0.99').net.dial(leaf.address);
    const reader = new HandshakeReader();
    conn.on('data', (c) => reader.queue.append(c));
    conn.write(formatConnect([['X-Ultrapeer', 'True']]));
    await settle();
    const block = reader.next();
    expect(block).toMatchObject({ kind: 'response', code: 503, message: 'I am a leaf' });
    expect(block?.headers.get('x-try-ultrapeers')).toBe(`${up.address.host}:${up.address.port}`);
    conn.destroy();
  });

  it('routes a Push to a firewalled servent by its servent id', async () => {
    const { make } = world();
    const up = await make({ role: 'ultrapeer' });
    const hidden = await make({
      role: 'leaf',
      firewalled: true,
      files: files(['secret plans.txt']),
    });
    const seeker = await make({ role: 'leaf' });
    await hidden.connect(up.address);
    await seeker.connect(up.address);
    await settle();
    const s = seeker.search('secret plans');
    await settle();
    expect(s.hits).toHaveLength(1);
    expect(s.hits[0]!.push).toBe(true);
    const pushes: unknown[] = [];
    hidden.on('push', (p) => pushes.push(p));
    expect(seeker.requestPush(s.hits[0]!, { host: '10.0.0.3', port: 4321 })).toBe(true);
    await settle();
    expect(pushes).toEqual([{ index: 0, host: '10.0.0.3', port: 4321 }]);
  });

  it('answers pings from its pong cache without flooding them', async () => {
    const { make } = world();
    const a = await make({ role: 'ultrapeer' });
    const b = await make({ role: 'ultrapeer', files: files(['x.txt']) });
    const c = await make({ role: 'ultrapeer' });
    await b.connect(a.address);
    await c.connect(a.address);
    await settle();
    // a pings b and c (cache refresh); then c's ping to a is answered from a's cache.
    a.ping();
    await settle();
    c.ping();
    await settle();
    expect(b.stats.received.ping).toBe(1); // never forwarded to b
    expect(c.stats.received.pong).toBe(2); // a about itself, and b from a's cache
  });

  it('stays up and bounded when fed garbage, oversize payloads, duplicates and TTL 255', async () => {
    const { net, make } = world();
    const up = await make({ role: 'ultrapeer', files: files(['bait.txt']) });
    const attacker = net.runtime('10.0.0.66');
    const open = async () => {
      const conn = await attacker.net.dial(up.address);
      const reader = new HandshakeReader();
      conn.on('data', (c) => reader.queue.append(c));
      conn.write(
        formatConnect([
          ['X-Ultrapeer', 'True'],
          ['User-Agent', 'evil'],
        ]),
      );
      await settle();
      expect(reader.next()).toMatchObject({ code: 200 });
      conn.write(new TextEncoder().encode('GNUTELLA/0.6 200 OK\r\n\r\n'));
      await settle();
      let closed = false;
      // Closed for us once the servent half-closes (after its Bye) or resets.
      conn.on('end', () => {
        closed = true;
      });
      conn.on('close', () => {
        closed = true;
      });
      return { conn, closed: () => closed };
    };
    // Duplicates and TTL 255: dropped, link kept.
    const a = await open();
    const guid = newGuid(attacker.random);
    const q = encodeDescriptor({
      guid,
      ttl: 3,
      hops: 0,
      message: { kind: 'query', minSpeed: 0, criteria: 'bait', urns: [] },
    });
    for (let i = 0; i < 200; i++) a.conn.write(q);
    a.conn.write(
      encodeDescriptor({
        guid: newGuid(attacker.random),
        ttl: 255,
        hops: 0,
        message: { kind: 'query', minSpeed: 0, criteria: 'bait', urns: [] },
      }),
    );
    await settle();
    expect(up.stats.received.query).toBe(201);
    expect(up.stats.dropped.query).toBe(200);
    expect(up.stats.sent.queryhit).toBe(1);
    expect(a.closed()).toBe(false);
    // Undecodable descriptors: tolerated a few times, then the link goes.
    const bad = encodeDescriptor({
      guid,
      ttl: 1,
      hops: 0,
      message: { kind: 'unknown', type: 0x01, payload: new Uint8Array(3) },
    });
    for (let i = 0; i < 10; i++) a.conn.write(bad);
    await settle();
    expect(a.closed()).toBe(true);
    // An oversize length field: desync, closed before the payload is buffered.
    const b = await open();
    const huge = encodeDescriptor({ guid, ttl: 1, hops: 0, message: { kind: 'ping' } });
    huge[19] = 0xff;
    huge[20] = 0xff;
    huge[21] = 0xff;
    b.conn.write(huge);
    await settle();
    expect(b.closed()).toBe(true);
    // A truncated handshake followed by silence: timed out by the clock, not a hang.
    const c = await attacker.net.dial(up.address);
    c.write(new TextEncoder().encode('GNUTELLA CONNECT/0.6\r\nUser-Agent: x'));
    let cClosed = false;
    c.resume(); // a reset is noticed by reading
    c.on('close', () => {
      cClosed = true;
    });
    await settle();
    net.clock.advance(20_000);
    await settle();
    expect(cClosed).toBe(true);
    expect(up.connections()).toHaveLength(0);
    // A crowd of silent connections: at most 64 wait in the handshake, the rest are reset.
    const crowd = await Promise.all(
      Array.from({ length: 100 }, () => attacker.net.dial(up.address)),
    );
    let reset = 0;
    for (const conn of crowd) {
      conn.resume();
      conn.on('close', () => {
        reset++;
      });
      conn.write(new TextEncoder().encode('GNUT'));
    }
    await settle();
    expect(reset).toBe(36);
    net.clock.advance(20_000);
    await settle();
    expect(reset).toBe(100);
  });

  it('X-Ultrapeer-Needed: False turns an elected ultrapeer with no connections into a leaf', async () => {
    const { make } = world();
    const hub = await make({
      role: 'ultrapeer',
      targetUltrapeers: 1,
      files: files(['shared thing.txt']),
    });
    const other = await make({ role: 'ultrapeer' });
    await other.connect(hub.address);
    const auto = await make({ role: 'auto' });
    expect(auto.role).toBe('ultrapeer');
    expect(await auto.connect(hub.address)).toMatchObject({ ultrapeer: true });
    await settle();
    expect(auto.role).toBe('leaf');
    expect(hub.connections().filter((c) => !c.ultrapeer)).toHaveLength(1);
    // As a leaf it sent its QRP table, and searches through the hub.
    const s = auto.search('shared thing');
    await settle();
    expect(s.hits.map((h) => h.name)).toEqual(['shared thing.txt']);
    // An explicit ultrapeer is never demoted.
    const fixed = await make({ role: 'ultrapeer' });
    await fixed.connect(hub.address);
    expect(fixed.role).toBe('ultrapeer');
  });

  it('stop() releases every connection, listener and timer', async () => {
    const { net, make } = world();
    const a = await make({ role: 'ultrapeer', pingIntervalMs: 3000, maintain: true });
    const b = await make({
      role: 'leaf',
      peers: [a.address as Address],
      pingIntervalMs: 3000,
      maintain: true,
    });
    await settle();
    net.clock.advance(10_000);
    await settle();
    expect(b.connections()).toHaveLength(1);
    await a.stop();
    await b.stop();
    await settle();
    expect(net.openHandles()).toBe(0);
    expect(net.clock.pending).toBe(0);
  });
});
