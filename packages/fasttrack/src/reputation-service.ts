/**
 * Participation levels as a supernode keeps them, from what other nodes report: a child says
 * "I downloaded (and verified) n bytes from P" or "I uploaded n bytes to Q", and its supernode
 * credits P's uploads or Q's downloads (in its own ledger when P or Q is its child, or with a
 * CREDIT to their supernode). Nobody's claim about itself counts, unlike Kazaa, whose level was
 * computed and sent by the client (Kazaa Lite froze it at 1000). An uploader asks its supernode
 * for a requester's level (LEVEL) to order its upload queue.
 */
import { type Address, sameAddress } from '@p2pkit/core';
import type { Link } from './link.js';
import {
  type Direction,
  decodeCredit,
  decodeLevelQuery,
  decodeLevelReply,
  decodeReport,
  EMPTY,
  encodeCredit,
  encodeLevelQuery,
  encodeLevelReply,
  encodeReport,
  MessageType,
} from './messages.js';
import type { NodeRole, ReputationMode } from './options.js';
import { DEFAULT_LEVEL, Ledger } from './reputation.js';
import { hashToHex } from './uuhash.js';

export interface ReputationContext {
  mode: ReputationMode;
  node: { readonly role: NodeRole; readonly advertise: Address; readonly id: Uint8Array };
  children(hex: string): Link | undefined;
  peer(address: Address): Link | undefined;
  parent(): Link | undefined;
}

/** How long an uploader waits for a level before treating the requester as unknown. */
const LEVEL_TIMEOUT_MS = 2_000;

export class Reputation {
  readonly ledger = new Ledger();
  readonly #c: ReputationContext;

  constructor(context: ReputationContext) {
    this.#c = context;
  }

  #self(address: Address | undefined): boolean {
    const { node } = this.#c;
    return node.role === 'supernode' && (!address || sameAddress(address, node.advertise));
  }

  /** This node saw a transfer with `peer` (its supernode `at`): tell whoever keeps its level. */
  report(direction: Direction, peer: Uint8Array, at: Address | undefined, bytes: number): void {
    if (this.#c.mode === 'off') return;
    const supernode = at ?? this.#c.node.advertise;
    if (this.#c.node.role === 'supernode') {
      // We are the reporter's supernode: credit the other side directly.
      this.#credit(peer, supernode, direction === 0 ? 1 : 0, bytes);
      return;
    }
    this.#c
      .parent()
      ?.notify(
        MessageType.REPORT,
        encodeReport({ direction, peer, peerSupernode: supernode, bytes }),
      );
  }

  /** The other side's counts: "downloaded from P" credits P's uploads, and vice versa. */
  #credit(node: Uint8Array, supernode: Address, direction: Direction, bytes: number): void {
    if (this.#self(supernode)) {
      this.ledger.credit(hashToHex(node), direction, bytes);
      return;
    }
    this.#c.peer(supernode)?.notify(MessageType.CREDIT, encodeCredit({ node, direction, bytes }));
  }

  onReport(link: Link, body: Uint8Array): Uint8Array {
    const r = decodeReport(body);
    if (link.kind !== 'child' || this.#c.mode === 'off') return EMPTY;
    // The reporter downloaded from P: P uploaded. The reporter uploaded to Q: Q downloaded.
    this.#credit(r.peer, r.peerSupernode, r.direction === 1 ? 0 : 1, r.bytes);
    return EMPTY;
  }

  onCredit(link: Link, body: Uint8Array): Uint8Array {
    const c = decodeCredit(body);
    if (link.kind !== 'peer' || this.#c.mode === 'off') return EMPTY;
    this.ledger.credit(hashToHex(c.node), c.direction, c.bytes);
    return EMPTY;
  }

  /** The level of one of our children, as this supernode knows it. */
  localLevel(node: Uint8Array): number {
    const hex = hashToHex(node);
    if (this.#c.mode === 'claimed')
      return this.#c.children(hex)?.hello?.claimedLevel ?? DEFAULT_LEVEL;
    return this.ledger.level(hex);
  }

  async onLevel(body: Uint8Array): Promise<Uint8Array> {
    const q = decodeLevelQuery(body);
    if (!this.#self(q.supernode)) {
      const peer = this.#c.peer(q.supernode);
      if (peer) {
        const reply = await peer
          .request(MessageType.LEVEL, body, { timeoutMs: LEVEL_TIMEOUT_MS })
          .then((r) => r.body)
          .catch(() => undefined);
        if (reply) return reply;
      }
    }
    const known = this.ledger.get(hashToHex(q.node)) !== undefined;
    return encodeLevelReply({ level: this.localLevel(q.node), known });
  }

  /** A requester's level for our upload queue (0 when unknown or unreachable). */
  async levelOf(id: Uint8Array | undefined, supernode: Address | undefined): Promise<number> {
    if (this.#c.mode === 'off' || !id) return 0;
    const at = supernode ?? this.#c.node.advertise;
    if (this.#self(at)) return this.localLevel(id);
    const link = this.#c.node.role === 'supernode' ? this.#c.peer(at) : this.#c.parent();
    if (!link) return DEFAULT_LEVEL;
    try {
      const r = await link.request(
        MessageType.LEVEL,
        encodeLevelQuery({ node: id, supernode: at }),
        {
          timeoutMs: LEVEL_TIMEOUT_MS,
        },
      );
      return decodeLevelReply(r.body).level;
    } catch {
      return DEFAULT_LEVEL;
    }
  }
}
