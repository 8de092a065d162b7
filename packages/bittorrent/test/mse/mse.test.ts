import { createHash } from 'node:crypto';
import { ProtocolError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDhKeyPair, DH_PRIME, dhSecret, modPow } from '../../src/mse/dh.js';
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseInitiator,
  MseResponder,
  type MseResult,
  mseReq2Hash,
} from '../../src/mse/handshake.js';
import { RC4 } from '../../src/mse/rc4.js';
import { testRandom } from '../helpers/random.js';

const sha1 = (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new TextEncoder().encode(s);

describe('RC4', () => {
  // Classic published test vectors.
  it.each([
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ])('key %s', (key, plain, cipher) => {
    expect(hex(new RC4(ascii(key)).apply(ascii(plain)))).toBe(cipher);
  });

  it('is a stream: chunking does not matter, and apply twice is identity', () => {
    const data = testRandom(3).bytes(5000);
    const whole = new RC4(ascii('k')).apply(data.slice());
    const rc4 = new RC4(ascii('k'));
    const parts = [data.slice(0, 7), data.slice(7, 4000), data.slice(4000)].map((p) =>
      rc4.apply(p),
    );
    expect(hex(Buffer.concat(parts))).toBe(hex(whole));
    expect(hex(new RC4(ascii('k')).apply(whole))).toBe(hex(data));
  });
});

describe('Diffie-Hellman (768-bit MSE prime)', () => {
  it('both sides derive the same 96-byte secret', () => {
    const random = testRandom(5);
    const a = createDhKeyPair(random.bytes(20));
    const b = createDhKeyPair(random.bytes(20));
    expect(a.publicKey.length).toBe(96);
    const s1 = dhSecret(a.privateKey, b.publicKey);
    const s2 = dhSecret(b.privateKey, a.publicKey);
    expect(hex(s1)).toBe(hex(s2));
    expect(s1.length).toBe(96);
  });

  it('modPow agrees with a naive computation', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 300n }),
        (b, e) => {
          let naive = 1n;
          for (let i = 0n; i < e; i++) naive = (naive * b) % DH_PRIME;
          expect(modPow(b, e, DH_PRIME)).toBe(naive);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses degenerate public keys', () => {
    const { privateKey } = createDhKeyPair(testRandom(1).bytes(20));
    const one = new Uint8Array(96);
    one[95] = 1;
    expect(() => dhSecret(privateKey, one)).toThrow(ProtocolError);
    expect(() => dhSecret(privateKey, new Uint8Array(96).fill(0xff))).toThrow(ProtocolError);
  });
});

interface Run {
  a: MseResult;
  b: MseResult;
  /** Bytes A wrote after the handshake, as B's application sees them, and the reverse. */
  aToB: Uint8Array;
  bToA: Uint8Array;
}

/**
 * Runs the two roles against each other, delivering bytes in chunks of the given sizes, then
 * pushes application data both ways through the negotiated streams.
 */
function run(options: {
  provide?: number;
  allowPlaintext?: boolean;
  preferRc4?: boolean;
  ia?: Uint8Array;
  chunk?: number;
  seed?: number;
  infoHash?: Uint8Array;
  responderKnows?: Uint8Array[];
}): Run {
  const infoHash = options.infoHash ?? new Uint8Array(20).fill(7);
  const other = new Uint8Array(20).fill(9);
  const random = testRandom(options.seed ?? 1);
  const a = new MseInitiator({
    infoHash,
    random: random.fork('a'),
    sha1,
    provide: options.provide,
    initialPayload: options.ia,
  });
  const known = new Map(
    (options.responderKnows ?? [other, infoHash]).map((h) => [hex(mseReq2Hash(h, sha1)), h]),
  );
  const b = new MseResponder({
    random: random.fork('b'),
    sha1,
    findInfoHash: (h) => known.get(hex(h)),
    allowPlaintext: options.allowPlaintext,
    preferRc4: options.preferRc4,
  });
  const chunk = options.chunk ?? 1 << 20;
  let toB: Uint8Array[] = [a.start()];
  let toA: Uint8Array[] = [];
  let doneA: MseResult | undefined;
  let doneB: MseResult | undefined;
  const split = (parts: Uint8Array[]) => {
    const all = Buffer.concat(parts);
    const out: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += chunk)
      out.push(new Uint8Array(all.subarray(i, i + chunk)));
    return out;
  };
  // Application data each side sends as soon as it is done (appended after the handshake bytes).
  const payloadA = ascii('hello from A, the initiator');
  const payloadB = ascii('and hello from B');
  for (let round = 0; round < 20 && (!doneA || !doneB); round++) {
    const forB = split(toB);
    toB = [];
    for (const c of forB) {
      if (doneB) break;
      const step = b.receive(c);
      if (step.send) toA.push(step.send);
      if (step.done) {
        doneB = step.done;
        const out = payloadB.slice();
        doneB.encrypt?.apply(out);
        toA.push(out);
      }
    }
    const forA = split(toA);
    toA = [];
    for (const c of forA) {
      if (doneA) {
        toA.push(c);
        continue;
      }
      const step = a.receive(c);
      if (step.send) toB.push(step.send);
      if (step.done) {
        doneA = step.done;
        const out = payloadA.slice();
        doneA.encrypt?.apply(out);
        toB.push(out);
      }
    }
  }
  if (!doneA || !doneB) throw new Error('handshake did not finish');
  // What remains in flight after completion is application data.
  const restA = Buffer.concat([
    doneA.rest,
    ...toA.map((c) => (doneA!.decrypt ? doneA!.decrypt.apply(c.slice()) : c)),
  ]);
  const restB = Buffer.concat([
    doneB.rest,
    ...toB.map((c) => (doneB!.decrypt ? doneB!.decrypt.apply(c.slice()) : c)),
  ]);
  return { a: doneA, b: doneB, aToB: restB, bToA: restA };
}

describe('MSE handshake, both roles', () => {
  it('selects plaintext when offered, and carries the initial payload', () => {
    const ia = ascii('the 68-byte BitTorrent handshake would go here');
    const r = run({ ia });
    expect(r.a.method).toBe(CRYPTO_PLAINTEXT);
    expect(r.b.method).toBe(CRYPTO_PLAINTEXT);
    expect(r.a.encrypt).toBeUndefined();
    expect(new TextDecoder().decode(r.b.initialPayload)).toBe(new TextDecoder().decode(ia));
    expect(hex(r.b.infoHash)).toBe(hex(new Uint8Array(20).fill(7)));
    expect(new TextDecoder().decode(r.aToB)).toBe('hello from A, the initiator');
    expect(new TextDecoder().decode(r.bToA)).toBe('and hello from B');
  });

  it('selects RC4 when the initiator offers only RC4, and the streams stay in step', () => {
    const r = run({ provide: CRYPTO_RC4, ia: ascii('IA') });
    expect(r.a.method).toBe(CRYPTO_RC4);
    expect(r.b.method).toBe(CRYPTO_RC4);
    expect(new TextDecoder().decode(r.b.initialPayload)).toBe('IA');
    expect(new TextDecoder().decode(r.aToB)).toBe('hello from A, the initiator');
    expect(new TextDecoder().decode(r.bToA)).toBe('and hello from B');
  });

  it('selects RC4 when the responder prefers it or refuses plaintext', () => {
    expect(run({ preferRc4: true }).a.method).toBe(CRYPTO_RC4);
    expect(run({ allowPlaintext: false }).b.method).toBe(CRYPTO_RC4);
  });

  it('fails cleanly when no method is acceptable', () => {
    expect(() => run({ provide: CRYPTO_PLAINTEXT, allowPlaintext: false })).toThrow(ProtocolError);
  });

  it('refuses an unknown info-hash', () => {
    expect(() => run({ responderKnows: [new Uint8Array(20).fill(1)] })).toThrow(/do not have/);
  });

  it('works for any seed and any chunking (pads of every length)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 1, max: 700 }),
        fc.boolean(),
        (seed, chunk, rc4) => {
          const r = run({ seed, chunk, provide: rc4 ? CRYPTO_RC4 : undefined, ia: ascii('x') });
          expect(r.a.method).toBe(rc4 ? CRYPTO_RC4 : CRYPTO_PLAINTEXT);
          expect(new TextDecoder().decode(r.aToB)).toBe('hello from A, the initiator');
          expect(new TextDecoder().decode(r.bToA)).toBe('and hello from B');
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a responder fed garbage fails with ProtocolError once the sync window is passed', () => {
    const b = new MseResponder({ random: testRandom(2), sha1, findInfoHash: () => undefined });
    const garbage = testRandom(9).bytes(96 + 600);
    expect(() => b.receive(garbage)).toThrow(ProtocolError);
  });

  it('fuzz: both roles fed random bytes in random chunks throw only ProtocolError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 1500 }),
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        (bytes, cut, initiator) => {
          const role = initiator
            ? new MseInitiator({ infoHash: new Uint8Array(20), random: testRandom(3), sha1 })
            : new MseResponder({
                random: testRandom(3),
                sha1,
                findInfoHash: () => new Uint8Array(20),
              });
          if (role instanceof MseInitiator) role.start();
          try {
            for (let i = 0; i < bytes.length; i += cut) {
              if (role.receive(bytes.slice(i, i + cut)).done) break;
            }
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an initiator fed garbage fails with ProtocolError once the sync window is passed', () => {
    const a = new MseInitiator({ infoHash: new Uint8Array(20), random: testRandom(2), sha1 });
    a.start();
    // A valid-looking public key, then noise without the VC marker.
    const key = createDhKeyPair(testRandom(4).bytes(20)).publicKey;
    expect(() => a.receive(Buffer.concat([key, testRandom(9).bytes(600)]))).toThrow(ProtocolError);
  });
});
