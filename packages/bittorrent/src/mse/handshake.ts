/**
 * Message Stream Encryption (MSE, also PE), the obfuscated handshake libtorrent, Transmission,
 * aria2 and Vuze speak (specification: Vuze wiki "Message Stream Encryption"):
 *
 *   1 A->B: Ya, PadA
 *   2 B->A: Yb, PadB
 *   3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
 *   5 A->B: ENCRYPT2(payload)
 *
 * Y = DH public keys (96 bytes), S = shared secret, SKEY = info-hash, HASH = SHA-1, VC = 8 zero
 * bytes, pads 0..512 bytes. ENCRYPT is RC4 keyed with HASH('keyA', S, SKEY) (A->B) or
 * HASH('keyB', S, SKEY) (B->A), first 1024 keystream bytes discarded. ENCRYPT2 is the same RC4
 * stream when RC4 (0x02) was selected, or nothing when plaintext (0x01) was: then only the
 * handshake is obfuscated and bulk data costs no CPU. B finds where step 3 starts by searching
 * for HASH('req1', S); A finds step 4 by searching for ENCRYPT(VC).
 *
 * Both roles are pure state machines: feed received bytes, get bytes to send and, at the end,
 * the negotiated streams. The caller owns the socket and the timeouts.
 */
import { concatBytes, ProtocolError, type Random } from '@p2pkit/core';
import { createDhKeyPair, DH_KEY_LENGTH, type DhKeyPair, dhSecret } from './dh.js';
import { RC4 } from './rc4.js';

export const CRYPTO_PLAINTEXT = 0x01;
export const CRYPTO_RC4 = 0x02;
export type CryptoMethod = typeof CRYPTO_PLAINTEXT | typeof CRYPTO_RC4;

const MAX_PAD = 512;
const VC_LENGTH = 8;

export type Sha1 = (data: Uint8Array) => Uint8Array;

export interface MseResult {
  /** The method the responder selected. */
  readonly method: CryptoMethod;
  /** RC4 streams to keep using when method is RC4 (undefined for plaintext). */
  readonly encrypt: RC4 | undefined;
  readonly decrypt: RC4 | undefined;
  /** The info-hash (SKEY) of the torrent this connection is for. */
  readonly infoHash: Uint8Array;
  /** Responder: the initiator's initial payload (IA), decrypted. Initiator: empty. */
  readonly initialPayload: Uint8Array;
  /** Bytes received after the handshake, already decrypted when RC4 was selected. */
  readonly rest: Uint8Array;
}

export interface MseStep {
  /** Bytes to write to the peer now. */
  readonly send?: Uint8Array;
  /** Set once the handshake is complete. */
  readonly done?: MseResult;
}

/** The parts joined (always a new array: there are two or more at every call). */
const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const REQ1 = ascii('req1');
const REQ2 = ascii('req2');
const REQ3 = ascii('req3');
const KEY_A = ascii('keyA');
const KEY_B = ascii('keyB');

/** HASH('req2', infoHash): what a responder matches (after undoing the req3 xor) to find SKEY. */
export function mseReq2Hash(infoHash: Uint8Array, sha1: Sha1): Uint8Array {
  return sha1(concat(REQ2, infoHash));
}

function rc4For(label: Uint8Array, secret: Uint8Array, infoHash: Uint8Array, sha1: Sha1): RC4 {
  const cipher = new RC4(sha1(concat(label, secret, infoHash)));
  cipher.discard(1024);
  return cipher;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, end: number): number {
  const last = Math.min(end, haystack.length) - needle.length;
  outer: for (let i = 0; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Accumulates received bytes; small (the handshake is < 2 KiB plus one trailing chunk). */
class Inbox {
  #buf: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    this.#buf = this.#buf.length === 0 ? chunk.slice() : concat(this.#buf, chunk);
  }
  get length(): number {
    return this.#buf.length;
  }
  get bytes(): Uint8Array {
    return this.#buf;
  }
  take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
  rest(): Uint8Array {
    const out = this.#buf;
    this.#buf = new Uint8Array(0);
    return out;
  }
}

function u16be(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

function u32be(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}

function xor20(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export interface MseInitiatorOptions {
  readonly infoHash: Uint8Array;
  readonly random: Random;
  readonly sha1: Sha1;
  /** crypto_provide bits; default plaintext | RC4 (the responder picks). */
  readonly provide?: number;
  /** Initial payload sent with step 3 (usually our 68-byte BitTorrent handshake). */
  readonly initialPayload?: Uint8Array;
}

/** Role A: the side that opened the connection. */
export class MseInitiator {
  readonly #options: MseInitiatorOptions;
  readonly #provide: number;
  readonly #keys: DhKeyPair;
  readonly #inbox = new Inbox();
  #state: 'new' | 'yb' | 'vc' | 'select' | 'padd' | 'done' = 'new';
  #encrypt: RC4 | undefined;
  #decrypt: RC4 | undefined;
  #vcMarker: Uint8Array | undefined;
  #method: CryptoMethod = CRYPTO_PLAINTEXT;
  #padD = 0;

  constructor(options: MseInitiatorOptions) {
    this.#options = options;
    this.#provide = options.provide ?? CRYPTO_PLAINTEXT | CRYPTO_RC4;
    if ((this.#provide & (CRYPTO_PLAINTEXT | CRYPTO_RC4)) === 0)
      throw new RangeError('provide no method');
    if ((options.initialPayload?.length ?? 0) > 0xffff)
      throw new RangeError('initial payload too long');
    this.#keys = createDhKeyPair(options.random.bytes(20));
  }

  /** Step 1: Ya and PadA. */
  start(): Uint8Array {
    if (this.#state !== 'new') throw new Error('MSE initiator already started');
    this.#state = 'yb';
    return concat(
      this.#keys.publicKey,
      this.#options.random.bytes(this.#options.random.int(MAX_PAD + 1)),
    );
  }

  /** Feeds bytes from B. Throws ProtocolError when B does not speak MSE correctly. */
  receive(chunk: Uint8Array): MseStep {
    if (this.#state === 'new' || this.#state === 'done')
      throw new Error(`MSE initiator is ${this.#state}`);
    this.#inbox.push(chunk);
    let send: Uint8Array | undefined;
    const inbox = this.#inbox;
    if (this.#state === 'yb') {
      if (inbox.length < DH_KEY_LENGTH) return {};
      send = this.#step3(inbox.take(DH_KEY_LENGTH));
      this.#state = 'vc';
    }
    if (this.#state === 'vc') {
      const at = indexOf(inbox.bytes, this.#vcMarker!, MAX_PAD + VC_LENGTH);
      if (at === -1) {
        if (inbox.length >= MAX_PAD + VC_LENGTH)
          throw new ProtocolError('MSE: no VC from the responder');
        return send ? { send } : {};
      }
      inbox.take(at);
      this.#decrypt!.apply(inbox.take(VC_LENGTH));
      this.#state = 'select';
    }
    if (this.#state === 'select') {
      if (inbox.length < 6) return send ? { send } : {};
      const fields = this.#decrypt!.apply(inbox.take(6));
      const select = readU32(fields, 0);
      if (
        (select !== CRYPTO_PLAINTEXT && select !== CRYPTO_RC4) ||
        (select & this.#provide) === 0
      ) {
        throw new ProtocolError(`MSE: responder selected ${select}, we provided ${this.#provide}`);
      }
      this.#method = select;
      this.#padD = readU16(fields, 4);
      if (this.#padD > MAX_PAD) throw new ProtocolError(`MSE: PadD of ${this.#padD} bytes`);
      this.#state = 'padd';
    }
    if (inbox.length < this.#padD) return send ? { send } : {};
    this.#decrypt!.apply(inbox.take(this.#padD));
    this.#state = 'done';
    const rc4 = this.#method === CRYPTO_RC4;
    const rest = inbox.rest();
    if (rc4) this.#decrypt!.apply(rest);
    const done: MseResult = {
      method: this.#method,
      encrypt: rc4 ? this.#encrypt : undefined,
      decrypt: rc4 ? this.#decrypt : undefined,
      infoHash: this.#options.infoHash,
      initialPayload: new Uint8Array(0),
      rest,
    };
    return send ? { send, done } : { done };
  }

  #step3(yb: Uint8Array): Uint8Array {
    const { sha1, infoHash, random } = this.#options;
    const secret = dhSecret(this.#keys.privateKey, yb);
    this.#encrypt = rc4For(KEY_A, secret, infoHash, sha1);
    this.#decrypt = rc4For(KEY_B, secret, infoHash, sha1);
    // ENCRYPT(VC) as B will send it: the first 8 bytes of B's keystream.
    this.#vcMarker = rc4For(KEY_B, secret, infoHash, sha1).apply(new Uint8Array(VC_LENGTH));
    const ia = this.#options.initialPayload ?? new Uint8Array(0);
    const padC = new Uint8Array(random.int(MAX_PAD + 1));
    const encrypted = concat(
      new Uint8Array(VC_LENGTH),
      u32be(this.#provide),
      u16be(padC.length),
      padC,
      u16be(ia.length),
      ia,
    );
    this.#encrypt.apply(encrypted);
    return concat(
      sha1(concat(REQ1, secret)),
      xor20(sha1(concat(REQ2, infoHash)), sha1(concat(REQ3, secret))),
      encrypted,
    );
  }
}

export interface MseResponderOptions {
  readonly random: Random;
  readonly sha1: Sha1;
  /** Maps HASH('req2', infoHash) (see mseReq2Hash) to one of our info-hashes. */
  readonly findInfoHash: (req2Hash: Uint8Array) => Uint8Array | undefined;
  /** Accept plaintext after the handshake (default true). */
  readonly allowPlaintext?: boolean;
  /** Choose RC4 even when plaintext is offered (default false: plaintext is faster). */
  readonly preferRc4?: boolean;
}

/** Role B: the side that accepted the connection (after the first bytes were not 0x13 'BitTorrent protocol'). */
export class MseResponder {
  readonly #options: MseResponderOptions;
  readonly #inbox = new Inbox();
  #keys: DhKeyPair | undefined;
  #secret: Uint8Array | undefined;
  #state: 'ya' | 'req1' | 'req2' | 'padc' | 'ia' | 'done' = 'ya';
  #encrypt: RC4 | undefined;
  #decrypt: RC4 | undefined;
  #infoHash: Uint8Array | undefined;
  #provide = 0;
  #padC = 0;
  #iaLength = -1;

  constructor(options: MseResponderOptions) {
    this.#options = options;
  }

  /** Feeds bytes from A (including the first ones, already read to tell MSE from plain). */
  receive(chunk: Uint8Array): MseStep {
    if (this.#state === 'done') throw new Error('MSE responder is done');
    const { sha1, random } = this.#options;
    const inbox = this.#inbox;
    inbox.push(chunk);
    let send: Uint8Array | undefined;
    const pending = (): MseStep => (send ? { send } : {});
    if (this.#state === 'ya') {
      if (inbox.length < DH_KEY_LENGTH) return {};
      this.#keys = createDhKeyPair(random.bytes(20));
      this.#secret = dhSecret(this.#keys.privateKey, inbox.take(DH_KEY_LENGTH));
      send = concat(this.#keys.publicKey, random.bytes(random.int(MAX_PAD + 1)));
      this.#state = 'req1';
    }
    const secret = this.#secret!;
    if (this.#state === 'req1') {
      const at = indexOf(inbox.bytes, sha1(concat(REQ1, secret)), MAX_PAD + 20);
      if (at === -1) {
        if (inbox.length >= MAX_PAD + 20)
          throw new ProtocolError('MSE: no req1 hash from the initiator');
        return pending();
      }
      inbox.take(at + 20);
      this.#state = 'req2';
    }
    if (this.#state === 'req2') {
      if (inbox.length < 20 + VC_LENGTH + 4 + 2) return pending();
      const req2 = xor20(inbox.take(20), sha1(concat(REQ3, secret)));
      const infoHash = this.#options.findInfoHash(req2);
      if (!infoHash)
        throw new ProtocolError('MSE: the initiator asked for a torrent we do not have');
      this.#infoHash = infoHash;
      this.#decrypt = rc4For(KEY_A, secret, infoHash, sha1);
      this.#encrypt = rc4For(KEY_B, secret, infoHash, sha1);
      const fields = this.#decrypt.apply(inbox.take(VC_LENGTH + 4 + 2));
      for (let i = 0; i < VC_LENGTH; i++)
        if (fields[i] !== 0) throw new ProtocolError('MSE: bad VC');
      this.#provide = readU32(fields, VC_LENGTH);
      this.#padC = readU16(fields, VC_LENGTH + 4);
      if (this.#padC > MAX_PAD) throw new ProtocolError(`MSE: PadC of ${this.#padC} bytes`);
      this.#state = 'padc';
    }
    if (this.#state === 'padc') {
      if (inbox.length < this.#padC + 2) return pending();
      const fields = this.#decrypt!.apply(inbox.take(this.#padC + 2));
      this.#iaLength = readU16(fields, this.#padC);
      this.#state = 'ia';
    }
    if (inbox.length < this.#iaLength) return pending();
    const initialPayload = this.#decrypt!.apply(inbox.take(this.#iaLength));
    const method = this.#select();
    const padD = new Uint8Array(random.int(MAX_PAD + 1));
    const reply = this.#encrypt!.apply(
      concat(new Uint8Array(VC_LENGTH), u32be(method), u16be(padD.length), padD),
    );
    send = send ? concat(send, reply) : reply;
    this.#state = 'done';
    const rc4 = method === CRYPTO_RC4;
    const rest = inbox.rest();
    if (rc4) this.#decrypt!.apply(rest);
    return {
      send,
      done: {
        method,
        encrypt: rc4 ? this.#encrypt : undefined,
        decrypt: rc4 ? this.#decrypt : undefined,
        infoHash: this.#infoHash!,
        initialPayload,
        rest,
      },
    };
  }

  #select(): CryptoMethod {
    const { allowPlaintext = true, preferRc4 = false } = this.#options;
    const plain = allowPlaintext && (this.#provide & CRYPTO_PLAINTEXT) !== 0;
    const rc4 = (this.#provide & CRYPTO_RC4) !== 0;
    if (plain && !(preferRc4 && rc4)) return CRYPTO_PLAINTEXT;
    if (rc4) return CRYPTO_RC4;
    throw new ProtocolError(`MSE: no acceptable method in crypto_provide ${this.#provide}`);
  }
}
