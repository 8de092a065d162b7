/**
 * Numbers of the peer wire protocol (BEP 3, 6, 10) and the limits we enforce on what a peer may
 * send us. Limits are checked against the length prefix before anything is buffered.
 */

/** Message ids (the byte after the length prefix). */
export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  /** BEP 5: the sender's DHT port. */
  port: 9,
  /** BEP 6 (Fast extension). */
  suggest: 13,
  haveAll: 14,
  haveNone: 15,
  reject: 16,
  allowedFast: 17,
  /** BEP 10 (extension protocol). */
  extended: 20,
} as const;

/** Size of a block (request unit). BEP 3: clients close connections that request more. */
export const BLOCK_SIZE = 16_384;

/** Length of the handshake: 1 + 19 + 8 + 20 + 20. */
export const HANDSHAKE_LENGTH = 68;

/** The 20 bytes every plain handshake starts with: 0x13 'BitTorrent protocol'. */
export const PROTOCOL_HEADER: Uint8Array = Uint8Array.of(
  19,
  ...Array.from('BitTorrent protocol', (c) => c.charCodeAt(0)),
);

/**
 * Generic cap for messages whose size the protocol does not fix (extended messages, bitfields
 * before the metadata is known, unknown ids). 1 MiB is 64 metadata pieces, or a bitfield of
 * 8 million pieces; nothing legitimate comes close.
 */
export const DEFAULT_MAX_MESSAGE_LENGTH = 1 << 20;
