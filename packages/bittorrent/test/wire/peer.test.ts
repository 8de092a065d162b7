import { createHash } from 'node:crypto';
import { type Connection, createMemoryNetwork, ProtocolError } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { mseReq2Hash } from '../../src/mse/handshake.js';
import {
  type EncryptionPolicy,
  type Established,
  handshakeIncoming,
  handshakeOutgoing,
  type OutgoingEncryption,
} from '../../src/wire/establish.js';
import { reservedFor } from '../../src/wire/handshake.js';
import { PeerWire } from '../../src/wire/peer.js';
import { testRandom } from '../helpers/random.js';

const sha1 = (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const INFO_HASH = new Uint8Array(20).fill(0x11);
const idA = new TextEncoder().encode('-PK0001-aaaaaaaaaaaa');
const idB = new TextEncoder().encode('-PK0001-bbbbbbbbbbbb');
const reserved = reservedFor({ extended: true, fast: true });

async function connect(
  outgoing: OutgoingEncryption,
  incoming: EncryptionPolicy,
): Promise<{ a: Established; b: Established }> {
  const hub = createMemoryNetwork();
  const netA = hub.runtime('10.0.0.1');
  const netB = hub.runtime('10.0.0.2');
  let accepted: Promise<Established> | undefined;
  const listener = await netB.net.listen({ port: 6881 }, (connection: Connection) => {
    accepted = handshakeIncoming({
      connection,
      clock: hub.clock,
      random: testRandom(2),
      sha1,
      encryption: incoming,
      lookup: (infoHash) =>
        hex(infoHash) === hex(INFO_HASH) ? { peerId: idB, reserved } : undefined,
      findInfoHashByReq2: (h) =>
        hex(h) === hex(mseReq2Hash(INFO_HASH, sha1)) ? INFO_HASH : undefined,
    });
    accepted.catch(() => {});
  });
  const connection = await netA.net.dial({ host: '10.0.0.2', port: 6881 });
  const a = await handshakeOutgoing({
    connection,
    clock: hub.clock,
    random: testRandom(1),
    sha1,
    infoHash: INFO_HASH,
    peerId: idA,
    reserved,
    encryption: outgoing,
  });
  const b = await accepted!;
  await listener.close();
  return { a, b };
}

describe('establishing connections', () => {
  it.each([
    ['plain', 'enabled', 'plain'],
    ['mse', 'enabled', 'mse-plaintext'],
    ['mse-rc4', 'enabled', 'mse-rc4'],
    ['mse', 'required', 'mse-rc4'],
  ] as const)(
    '%s -> %s gives %s, and messages flow both ways',
    async (outgoing, incoming, expected) => {
      const { a, b } = await connect(outgoing, incoming);
      expect(a.encryption).toBe(expected);
      expect(b.encryption).toBe(expected);
      expect(hex(a.remote.peerId)).toBe(hex(idB));
      expect(hex(b.remote.peerId)).toBe(hex(idA));
      const wireA = new PeerWire({ ...a, clock: createMemoryNetwork().clock, initialData: a.rest });
      const wireB = new PeerWire({ ...b, clock: createMemoryNetwork().clock, initialData: b.rest });
      expect(wireA.features.fast).toBe(true);
      const got: string[] = [];
      const block = new Uint8Array(16384).map((_, i) => i & 0xff);
      const done = new Promise<void>((resolve) => {
        wireB.on('interested', () => got.push('interested'));
        wireB.on('request', (r) => {
          got.push(`request ${r.index} ${r.begin} ${r.length}`);
          wireB.piece(r.index, r.begin, block);
        });
        wireA.on('unchoke', () => {
          got.push('unchoke');
          wireA.request(3, 16384, 16384);
        });
        wireA.on('piece', (index, begin, data) => {
          got.push(
            `piece ${index} ${begin} ${data.length} ${hex(sha1(data)) === hex(sha1(block))}`,
          );
          resolve();
        });
      });
      wireA.start();
      wireB.start();
      wireA.interested();
      wireB.unchoke();
      await done;
      expect(got).toEqual([
        'interested',
        'unchoke',
        'request 3 16384 16384',
        'piece 3 16384 16384 true',
      ]);
      wireA.destroy();
      await new Promise<void>((resolve) => wireB.once('close', () => resolve()));
      expect(wireB.closed).toBe(true);
    },
  );

  it('refuses MSE when disabled, and plain when encryption is required', async () => {
    await expect(connect('mse', 'disabled')).rejects.toBeInstanceOf(Error);
    await expect(connect('plain', 'required')).rejects.toBeInstanceOf(Error);
  });

  it('drops a peer that sends a fast message without the Fast extension', async () => {
    const { a, b } = await connect('plain', 'enabled');
    const clock = createMemoryNetwork().clock;
    const wireA = new PeerWire({
      ...a,
      local: { ...a.local, reserved: reservedFor({ extended: true }) },
      clock,
    });
    const wireB = new PeerWire({ ...b, clock });
    const closed = new Promise<Error | undefined>((resolve) => wireA.once('close', resolve));
    wireA.start();
    wireB.start();
    // B believes Fast is on (both bits were set on the wire), A's local side says it is not.
    wireB.haveAll();
    const error = await closed;
    expect(error).toBeInstanceOf(ProtocolError);
  });

  it('drops a peer announcing a 2^31-byte message', async () => {
    const { a, b } = await connect('plain', 'enabled');
    const clock = createMemoryNetwork().clock;
    const wireA = new PeerWire({ ...a, clock });
    const closed = new Promise<Error | undefined>((resolve) => wireA.once('close', resolve));
    wireA.start();
    b.connection.write(Uint8Array.of(0x80, 0, 0, 0, 7));
    const error = await closed;
    expect(error?.name).toBe('DecodeError');
  });
});

describe('sending pieces', () => {
  it('a burst announced by expectPieces goes out as one write in one buffer of its size', async () => {
    const { a, b } = await connect('plain', 'enabled');
    const written: Uint8Array[] = [];
    const write = a.connection.write.bind(a.connection);
    a.connection.write = (data: Uint8Array) => {
      written.push(data);
      return write(data);
    };
    const wireA = new PeerWire({ ...a, clock: createMemoryNetwork().clock, initialData: a.rest });
    const wireB = new PeerWire({ ...b, clock: createMemoryNetwork().clock, initialData: b.rest });
    const blocks = 15;
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      wireB.on('piece', (index, begin, data) => {
        got.push(`${index} ${begin} ${data[0]} ${data[16383]}`);
        if (got.length === blocks) resolve();
      });
    });
    wireA.start();
    wireB.start();
    const messageBytes = 13 + 16384;
    wireA.expectPieces(blocks * messageBytes);
    for (let i = 0; i < blocks; i++) wireA.piece(7, i * 16384, new Uint8Array(16384).fill(i));
    wireA.flush();
    // Without the announcement the batch doubles as it grows (16, 32, 64, 128, 256 KiB: four
    // more allocations and copies), ending in a 256 KiB buffer for 240 KiB of messages.
    expect(written).toHaveLength(1);
    expect(written[0]!.byteLength).toBe(blocks * messageBytes);
    expect(written[0]!.buffer.byteLength).toBe(blocks * messageBytes);
    await done;
    expect(got).toEqual(Array.from({ length: blocks }, (_, i) => `7 ${i * 16384} ${i} ${i}`));
    wireA.destroy();
  });
});
