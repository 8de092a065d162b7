/**
 * Opening a peer connection: the 68-byte handshake, optionally inside Message Stream
 * Encryption. Outgoing connections send MSE (offering plaintext and RC4, the way libtorrent,
 * Transmission and aria2 open theirs) or a plain handshake; incoming ones tell the two apart by
 * their first 20 bytes (0x13 'BitTorrent protocol' = plain, anything else = MSE) and answer in
 * kind. On success the connection is paused with its listeners removed, so the PeerWire that
 * takes it over loses no byte.
 */
import {
  type Clock,
  type Connection,
  equalBytes,
  ProtocolError,
  type Random,
  TimeoutError,
  type TimerHandle,
} from '@p2pkit/core';
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseInitiator,
  MseResponder,
  type Sha1,
} from '../mse/handshake.js';
import type { RC4 } from '../mse/rc4.js';
import { HANDSHAKE_LENGTH, PROTOCOL_HEADER } from './constants.js';
import {
  decodeHandshake,
  decodeHandshakeStart,
  encodeHandshake,
  type Handshake,
} from './handshake.js';

/**
 * What encryption to speak. `disabled`: plain handshakes only. `enabled`: incoming plain or
 * MSE; MSE selects plaintext after the handshake when the peer offers it (bulk data costs no
 * CPU). `required`: MSE with RC4 only, both ways.
 */
export type EncryptionPolicy = 'disabled' | 'enabled' | 'required';

/** How one outgoing connection opens. */
export type OutgoingEncryption = 'plain' | 'mse' | 'mse-rc4';

/** How a connection ended up: no MSE, MSE that selected plaintext, or MSE with RC4. */
export type ConnectionEncryption = 'plain' | 'mse-plaintext' | 'mse-rc4';

export interface Established {
  readonly connection: Connection;
  readonly infoHash: Uint8Array;
  /** The handshake we sent. */
  readonly local: Handshake;
  /** The handshake the peer sent. */
  readonly remote: Handshake;
  /** `plain`, or MSE and what it selected. */
  readonly encryption: ConnectionEncryption;
  readonly encrypt: RC4 | undefined;
  readonly decrypt: RC4 | undefined;
  /** Bytes received after the peer's handshake, decrypted. */
  readonly rest: Uint8Array;
}

interface Common {
  readonly connection: Connection;
  readonly clock: Clock;
  readonly random: Random;
  readonly sha1: Sha1;
  /** Whole handshake deadline (default 20 s). */
  readonly timeoutMs?: number;
}

export interface OutgoingOptions extends Common {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly reserved: Uint8Array;
  readonly encryption: OutgoingEncryption;
}

export interface IncomingOptions extends Common {
  readonly encryption: EncryptionPolicy;
  /** Our peer id and reserved bytes for a torrent we serve; undefined refuses the connection. */
  readonly lookup: (
    infoHash: Uint8Array,
  ) => { peerId: Uint8Array; reserved: Uint8Array } | undefined;
  /** MSE: the info-hash whose HASH('req2', info-hash) this is (see mseReq2Hash), if we serve it. */
  readonly findInfoHashByReq2: (req2Hash: Uint8Array) => Uint8Array | undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Runs `onBytes` on every chunk until it returns a result or throws; handles the deadline,
 * the peer closing, and cleanup.
 */
function drive<T>(
  options: Common,
  onBytes: (chunk: Uint8Array) => T | undefined,
  start?: () => void,
): Promise<T> {
  const { connection, clock } = options;
  return new Promise<T>((resolve, reject) => {
    let timer: TimerHandle | undefined;
    let settled = false;
    const cleanup = () => {
      settled = true;
      clock.clearTimeout(timer);
      connection.off('data', onData);
      connection.off('close', onClose);
      connection.off('end', onEnd);
    };
    const fail = (error: Error) => {
      if (settled) return;
      cleanup();
      connection.destroy(error);
      reject(error);
    };
    const onData = (chunk: Uint8Array) => {
      if (settled) return;
      let result: T | undefined;
      try {
        result = onBytes(chunk);
      } catch (error) {
        fail(error instanceof Error ? error : new ProtocolError(String(error)));
        return;
      }
      if (result !== undefined) {
        connection.pause();
        cleanup();
        resolve(result);
      }
    };
    const onClose = (error?: Error) =>
      fail(error ?? new ProtocolError('peer closed the connection during the handshake'));
    const onEnd = () => fail(new ProtocolError('peer closed the connection during the handshake'));
    timer = clock.setTimeout(
      () => fail(new TimeoutError('peer handshake timed out')),
      options.timeoutMs ?? 20_000,
    );
    connection.on('close', onClose);
    connection.on('end', onEnd);
    try {
      start?.();
    } catch (error) {
      fail(error instanceof Error ? error : new ProtocolError(String(error)));
      return;
    }
    connection.on('data', onData);
    connection.resume();
  });
}

/** Reads the peer's 68-byte handshake out of `buffer`; undefined when more bytes are needed. */
function takeHandshake(buffer: Uint8Array): { remote: Handshake; rest: Uint8Array } | undefined {
  if (buffer.length < HANDSHAKE_LENGTH) return undefined;
  return { remote: decodeHandshake(buffer), rest: buffer.subarray(HANDSHAKE_LENGTH) };
}

/** Opens an outgoing connection: handshake (inside MSE when asked). Rejects and destroys on failure. */
export function handshakeOutgoing(options: OutgoingOptions): Promise<Established> {
  const { connection, infoHash } = options;
  const local: Handshake = { reserved: options.reserved, infoHash, peerId: options.peerId };
  const ours = encodeHandshake(local);
  let buffer: Uint8Array = new Uint8Array(0);
  const check = (remote: Handshake) => {
    if (!equalBytes(remote.infoHash, infoHash))
      throw new ProtocolError('peer answered for another torrent');
  };
  if (options.encryption === 'plain') {
    return drive(
      options,
      (chunk) => {
        buffer = concat(buffer, chunk);
        const got = takeHandshake(buffer);
        if (!got) return undefined;
        check(got.remote);
        return {
          connection,
          infoHash,
          local,
          remote: got.remote,
          encryption: 'plain',
          encrypt: undefined,
          decrypt: undefined,
          rest: got.rest,
        } satisfies Established;
      },
      () => connection.write(ours),
    );
  }
  const initiator = new MseInitiator({
    infoHash,
    random: options.random,
    sha1: options.sha1,
    provide: options.encryption === 'mse-rc4' ? CRYPTO_RC4 : CRYPTO_PLAINTEXT | CRYPTO_RC4,
    // Our handshake rides in step 3 (IA): one round trip saved.
    initialPayload: ours,
  });
  let mse: { encrypt: RC4 | undefined; decrypt: RC4 | undefined; method: number } | undefined;
  return drive(
    options,
    (chunk) => {
      if (!mse) {
        const step = initiator.receive(chunk);
        if (step.send) connection.write(step.send);
        if (!step.done) return undefined;
        mse = step.done;
        buffer = step.done.rest;
      } else {
        mse.decrypt?.apply(chunk);
        buffer = concat(buffer, chunk);
      }
      const got = takeHandshake(buffer);
      if (!got) return undefined;
      check(got.remote);
      return {
        connection,
        infoHash,
        local,
        remote: got.remote,
        encryption: mse.method === CRYPTO_RC4 ? 'mse-rc4' : 'mse-plaintext',
        encrypt: mse.encrypt,
        decrypt: mse.decrypt,
        rest: got.rest,
      } satisfies Established;
    },
    () => connection.write(initiator.start()),
  );
}

/** Answers an incoming connection: plain or MSE, for any torrent `lookup` knows. */
export function handshakeIncoming(options: IncomingOptions): Promise<Established> {
  const { connection, encryption } = options;
  let buffer: Uint8Array = new Uint8Array(0);
  let mode: 'detect' | 'plain' | 'mse' | 'mse-done' = 'detect';
  let responder: MseResponder | undefined;
  let mse:
    | { encrypt: RC4 | undefined; decrypt: RC4 | undefined; method: number; infoHash: Uint8Array }
    | undefined;
  let local: Handshake | undefined;

  const answer = (infoHash: Uint8Array): Handshake => {
    const ours = options.lookup(infoHash);
    if (!ours) throw new ProtocolError('peer asked for a torrent we do not serve');
    return { reserved: ours.reserved, infoHash: infoHash.slice(), peerId: ours.peerId };
  };

  return drive(options, (chunk) => {
    if (mode === 'mse-done') mse!.decrypt?.apply(chunk);
    if (mode !== 'mse') buffer = concat(buffer, chunk);
    if (mode === 'detect') {
      const n = Math.min(buffer.length, PROTOCOL_HEADER.length);
      let plain = true;
      for (let i = 0; i < n; i++) if (buffer[i] !== PROTOCOL_HEADER[i]) plain = false;
      if (plain && n < PROTOCOL_HEADER.length) return undefined;
      if (plain) {
        if (encryption === 'required')
          throw new ProtocolError('plain handshake refused: encryption required');
        mode = 'plain';
      } else {
        if (encryption === 'disabled')
          throw new ProtocolError('not a BitTorrent handshake (MSE disabled)');
        mode = 'mse';
        responder = new MseResponder({
          random: options.random,
          sha1: options.sha1,
          findInfoHash: options.findInfoHashByReq2,
          allowPlaintext: encryption !== 'required',
        });
        chunk = buffer;
        buffer = new Uint8Array(0);
      }
    }
    if (mode === 'plain') {
      if (!local) {
        if (buffer.length < 48) return undefined;
        local = answer(decodeHandshakeStart(buffer).infoHash);
        connection.write(encodeHandshake(local));
      }
      const got = takeHandshake(buffer);
      if (!got) return undefined;
      return {
        connection,
        infoHash: local.infoHash,
        local,
        remote: got.remote,
        encryption: 'plain',
        encrypt: undefined,
        decrypt: undefined,
        rest: got.rest,
      } satisfies Established;
    }
    if (mode === 'mse') {
      const step = responder!.receive(chunk);
      if (step.send) connection.write(step.send);
      if (!step.done) return undefined;
      mse = step.done;
      mode = 'mse-done';
      local = answer(step.done.infoHash);
      const ours = encodeHandshake(local);
      step.done.encrypt?.apply(ours);
      connection.write(ours);
      buffer = concat(step.done.initialPayload, step.done.rest);
    }
    const got = takeHandshake(buffer);
    if (!got) return undefined;
    if (!equalBytes(got.remote.infoHash, mse!.infoHash)) {
      throw new ProtocolError('handshake info-hash differs from the MSE one');
    }
    return {
      connection,
      infoHash: local!.infoHash,
      local: local!,
      remote: got.remote,
      encryption: mse!.method === CRYPTO_RC4 ? 'mse-rc4' : 'mse-plaintext',
      encrypt: mse!.encrypt,
      decrypt: mse!.decrypt,
      rest: got.rest,
    } satisfies Established;
  });
}
