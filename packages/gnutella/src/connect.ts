/**
 * Runs the three-step handshake on a fresh connection, either side, and returns what was
 * agreed plus the bytes that followed the last handshake line (the first descriptors).
 */
import {
  type Address,
  type Clock,
  type Connection,
  DecodeError,
  ProtocolError,
  TimeoutError,
} from '@p2pkit/core';
import {
  formatResponse,
  type HandshakeBlock,
  type HandshakeHeaders,
  HandshakeReader,
  headerFlag,
  headerHas,
} from './handshake.js';
import type { PeerInfo } from './link.js';

/** Reads handshake blocks off a connection, one promise per block, with one deadline. */
export class BlockReader {
  private readonly reader = new HandshakeReader();
  private waiter: { resolve: (b: HandshakeBlock) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Uint8Array) => {
    this.reader.queue.append(chunk);
    this.poll();
  };
  private readonly onEnd = () =>
    this.fail(new ProtocolError('connection closed during the handshake'));
  private readonly onClose = (error?: Error) =>
    this.fail(error ?? new ProtocolError('connection closed during the handshake'));
  private readonly timer;

  constructor(
    private readonly connection: Connection,
    private readonly clock: Clock,
    timeoutMs: number,
    initial?: Uint8Array,
  ) {
    if (initial && initial.length > 0) this.reader.queue.append(initial);
    connection.on('data', this.onData);
    connection.on('end', this.onEnd);
    connection.on('close', this.onClose);
    this.timer = clock.setTimeout(
      () => this.fail(new TimeoutError(`handshake took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
  }

  next(): Promise<HandshakeBlock> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.poll();
    });
  }

  /** Stops listening; returns the bytes received after the last block. */
  detach(): Uint8Array {
    this.connection.off('data', this.onData);
    this.connection.off('end', this.onEnd);
    this.connection.off('close', this.onClose);
    this.clock.clearTimeout(this.timer);
    return this.reader.queue.readAll();
  }

  private poll(): void {
    if (!this.waiter) return;
    if (this.failure) {
      this.settle().reject(this.failure);
      return;
    }
    let block: HandshakeBlock | undefined;
    try {
      block = this.reader.next();
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (block) this.settle().resolve(block);
  }

  private settle() {
    const w = this.waiter!;
    this.waiter = undefined;
    return w;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.poll();
  }
}

/** What our side offers in its handshake headers. */
export interface HandshakeOffer {
  readonly userAgent: string;
  readonly ultrapeer: boolean;
  readonly pongCaching: boolean;
  readonly deflate: boolean;
  /** Our listening address when reachable (Listen-IP); omitted when firewalled. */
  readonly listen?: Address;
  readonly maxTtl: number;
  readonly degree: number;
  /** Ultrapeers exchange QRP tables for the last hop (X-Ultrapeer-Query-Routing). */
  readonly ultrapeerQueryRouting: boolean;
}

export function offerHeaders(offer: HandshakeOffer): [string, string][] {
  const h: [string, string][] = [
    ['User-Agent', offer.userAgent],
    ['X-Ultrapeer', offer.ultrapeer ? 'True' : 'False'],
    ['X-Query-Routing', '0.1'],
    ['GGEP', '0.5'],
    ['Bye-Packet', '0.1'],
    ['X-Max-TTL', String(offer.maxTtl)],
    ['X-Degree', String(offer.degree)],
  ];
  if (offer.ultrapeerQueryRouting) h.push(['X-Ultrapeer-Query-Routing', '0.1']);
  if (offer.pongCaching) h.push(['Pong-Caching', '0.1']);
  if (offer.deflate) h.push(['Accept-Encoding', 'deflate']);
  if (offer.listen) h.push(['Listen-IP', `${offer.listen.host}:${offer.listen.port}`]);
  return h;
}

/** The peer's capabilities from its headers. */
export function peerInfo(headers: HandshakeHeaders): PeerInfo {
  const listenText = headers.get('listen-ip') ?? headers.get('x-my-address') ?? headers.get('node');
  const m = listenText && /^\s*(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})\s*$/.exec(listenText);
  const port = m ? Number(m[2]) : 0;
  return {
    // A 0.6 servent that says nothing about X-Ultrapeer is an old flat servent: a peer.
    ultrapeer: headerFlag(headers, 'x-ultrapeer') ?? true,
    userAgent: headers.get('user-agent') ?? '',
    ...(m && port > 0 && port < 65536 ? { listen: { host: m[1]!, port } } : {}),
    ggep: headers.has('ggep'),
    byePacket: headers.has('bye-packet'),
    pongCaching: headers.has('pong-caching'),
    queryRouting: headers.has('x-query-routing'),
    ultrapeerQueryRouting: headers.has('x-ultrapeer-query-routing'),
  };
}

/** Did the peer agree to send deflated bytes / does it accept them? */
export function contentDeflate(headers: HandshakeHeaders): boolean {
  return headerHas(headers, 'content-encoding', 'deflate');
}
export function acceptsDeflate(headers: HandshakeHeaders): boolean {
  return headerHas(headers, 'accept-encoding', 'deflate');
}

/** Writes a refusal (503 unless told) with X-Try-Ultrapeers, then half-closes. */
export function refuse(
  connection: Connection,
  code: number,
  message: string,
  tryUltrapeers: readonly Address[],
): void {
  const headers: [string, string][] = [];
  if (tryUltrapeers.length > 0) {
    headers.push(['X-Try-Ultrapeers', tryUltrapeers.map((a) => `${a.host}:${a.port}`).join(',')]);
  }
  connection.write(formatResponse(code, message, headers));
  connection.end();
}

export function expectResponse(
  block: HandshakeBlock,
): Extract<HandshakeBlock, { kind: 'response' }> {
  if (block.kind !== 'response') throw new DecodeError('expected a GNUTELLA/0.6 status line');
  return block;
}
