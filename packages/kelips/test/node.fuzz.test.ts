/**
 * A live node fed arbitrary datagrams (fast-check): every message type and kind, random bodies
 * and mutated valid ones, from a sender that may claim to be anyone. The node never throws,
 * its soft state stays within its caps, and afterwards it still answers a PING and serves
 * lookups for the files of the system. The decoders alone are fuzzed in messages.fuzz.test.ts.
 */
import {
  type Address,
  type DatagramSocket,
  type EnvelopeKind,
  encodeEnvelope,
  idToBytes,
  nodeId,
} from '@p2pkit/core';
import { coordinates, Simulation } from '@p2pkit/sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as msg from '../src/messages.js';
import { KelipsWorld } from '../src/scenarios/index.js';

const SEED = Number(process.env.SEED ?? 5);
const K = 3;
const MAX_VIEW = 64;
const MAX_TUPLES = 128;

const types = [...Object.values(msg.MessageType), 0x4b00, 0x4bff, 0x0001];
const kinds: EnvelopeKind[] = ['request', 'response', 'error', 'oneway'];
const member = { address: { host: '10.1.2.3', port: 4000 }, heartbeat: 7, ageMs: 0 };
const tuple = { name: 'x', home: member.address, heartbeat: 7, ageMs: 0 };
/** Valid bodies of every request, for mutation: bytes a real peer could almost have sent. */
const valid: Uint8Array[] = [
  msg.encodeGossip({ groups: K, heartbeat: 3, members: [member], tuples: [tuple] }),
  msg.encodeJoin(K),
  msg.encodeLookup({ ttl: 1, name: 'file-1' }),
  msg.encodeInsert({ ttl: 0, name: 'file-1', value: Uint8Array.of(1, 2) }),
  msg.encodeStore({ name: 'file-2', value: Uint8Array.of(3) }),
  msg.encodeFetch('file-3'),
  msg.encodeLeave(9),
  msg.encodeInfo({ section: msg.InfoSection.MEMBERS, offset: 0 }),
];

const arbBody = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc
    .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }))
    .map(([body, flips]) => {
      const out = body.slice();
      for (const [at, byte] of flips) if (out.length > 0) out[at % out.length] = byte;
      return out;
    }),
  fc.constantFrom(...valid).map((body) => body.subarray(0, Math.max(0, body.length - 2))),
);
const arbDatagram = fc.record({
  type: fc.constantFrom(...types),
  kind: fc.constantFrom(...kinds),
  requestId: fc.nat(0xffff),
  // Who the envelope says it is: the attacker, or a host it is not.
  claims: fc.constantFrom<Address | undefined>(undefined, { host: '10.7.7.7', port: 4000 }),
  body: arbBody,
});

describe(`a node under arbitrary datagrams (seed ${SEED}; replay: SEED=${SEED})`, {
  timeout: 60_000,
}, () => {
  it('never throws, stays within its caps, and keeps serving', async () => {
    const latency = coordinates();
    const sim = new Simulation({ seed: SEED, latency });
    const world = new KelipsWorld(
      sim,
      { groups: K, maxView: MAX_VIEW, maxTuples: MAX_TUPLES },
      latency,
    );
    const nodes = await world.spawn(12);
    world.buildOracle();
    const names = Array.from({ length: 12 }, (_, i) => `file-${i}`);
    world.placeFiles(names);
    await sim.runFor(5000);
    const target = nodes[0]!;
    const warnings: Error[] = [];
    target.on('warning', (e) => warnings.push(e));
    const socket: DatagramSocket = await sim.addHost().net.bind({ port: 4000 }, () => {});
    const self = socket.address;

    await fc.assert(
      fc.asyncProperty(fc.array(arbDatagram, { minLength: 1, maxLength: 20 }), async (batch) => {
        for (const d of batch) {
          const sender = d.claims ?? self;
          socket.send(
            encodeEnvelope({
              kind: d.kind,
              type: d.type,
              requestId: d.requestId,
              sender: {
                id: idToBytes(nodeId(sender.host, sender.port, 160), 160),
                address: sender,
              },
              body: d.body,
            }),
            target.address,
          );
        }
        await sim.runFor(300);
        expect(target.state.view.size).toBeLessThanOrEqual(MAX_VIEW);
        expect(target.state.tuples.size).toBeLessThanOrEqual(MAX_TUPLES);
        // Still alive and answering its peers.
        const pong = await world.settle(nodes[1]!.ping(target.address));
        expect(pong.groups).toBe(K);
      }),
      { numRuns: 40, seed: SEED },
    );
    expect(target.stats.badMessages).toBeGreaterThan(0);
    // Nothing the attacker sent took the system's files away from it.
    for (const name of names) {
      const answer = await world.settle(target.lookup(name));
      expect(answer.home, name).toBeDefined();
    }
    expect(warnings).toEqual([]);
    await world.close();
  });
});
