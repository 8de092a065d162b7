import type { Address, Logger, Runtime } from '@p2pkit/core';
import { PayloadType } from './descriptors.js';
import type { Guid } from './guid.js';
import type { Link } from './link.js';
import type {
  ServentEvents,
  ServentOptions,
  ServentRole,
  ServentStats,
  SharedFile,
} from './options.js';
import type { QueryRouteTable } from './qrp.js';

/** A servent's options with every default filled in. */
export type ServentSettings = Required<
  Omit<
    ServentOptions,
    'runtime' | 'role' | 'host' | 'port' | 'advertise' | 'files' | 'peers' | 'httpPort' | 'folder'
  >
>;

/** The servent's settings: `options` with the spec's defaults where they are left out. */
export function serventSettings(options: ServentOptions): ServentSettings {
  return {
    capable: options.capable ?? true,
    firewalled: options.firewalled ?? false,
    maxUltrapeers: options.maxUltrapeers ?? 32,
    targetUltrapeers: options.targetUltrapeers ?? 6,
    maxLeaves: options.maxLeaves ?? 30,
    leafUltrapeers: options.leafUltrapeers ?? 3,
    maintain: options.maintain ?? true,
    maxTtl: options.maxTtl ?? 7,
    queryTtl: options.queryTtl ?? 7,
    pongCaching: options.pongCaching ?? true,
    pingIntervalMs: options.pingIntervalMs ?? 3000,
    deflate: options.deflate ?? true,
    qrpBits: options.qrpBits ?? 16,
    ultrapeerQueryRouting: options.ultrapeerQueryRouting ?? true,
    ultrapeerTableDelayMs: options.ultrapeerTableDelayMs ?? 1000,
    userAgent: options.userAgent ?? 'p2pkit-gnutella/0.1',
    vendor: options.vendor ?? 'P2PK',
    speedKbps: options.speedKbps ?? 1000,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 15_000,
    maxQueuedBytes: options.maxQueuedBytes ?? 256 * 1024,
    maxUploads: options.maxUploads ?? 8,
    pushTimeoutMs: options.pushTimeoutMs ?? 30_000,
  };
}

/**
 * What the parts of a servent (descriptor routing, QRP exchange, Push transfers) share: its
 * settings, its open links, its own files and table, and how it sends. Built once by Servent;
 * the getters read the servent's current state.
 */
export interface ServentContext {
  readonly runtime: Runtime;
  readonly log: Logger;
  readonly o: ServentSettings;
  readonly options: ServentOptions;
  /** The last 16 bytes of our Query Hits, the target of Pushes. */
  readonly serventId: Guid;
  readonly stats: ServentStats;
  /** Open connections by link id. */
  readonly links: ReadonlyMap<number, Link>;
  readonly role: ServentRole;
  readonly stopped: boolean;
  readonly files: readonly SharedFile[];
  /** The QRP table of our own files. */
  readonly table: QueryRouteTable;
  /** The address we announce (listener or `advertise`). */
  readonly advertisedAddress: Address;
  /** Queues `bytes` on `link`, counting it sent or dropped (full queue) by type. */
  sendTo(link: Link, bytes: Uint8Array): void;
  /** Counts a dropped descriptor of type `name`. */
  drop(name: string): void;
  emit<K extends keyof ServentEvents>(event: K, ...args: ServentEvents[K]): void;
  /** A cancellable timer on the runtime's clock. */
  timeout(ms: number, onTimeout: () => void): () => void;
}

const TYPE_NAMES: Record<number, string> = {
  [PayloadType.Ping]: 'ping',
  [PayloadType.Pong]: 'pong',
  [PayloadType.Bye]: 'bye',
  [PayloadType.RouteTableUpdate]: 'qrp',
  [PayloadType.VendorExperimental]: 'vendor',
  [PayloadType.Vendor]: 'vendor',
  [PayloadType.Push]: 'push',
  [PayloadType.Query]: 'query',
  [PayloadType.QueryHit]: 'queryhit',
};

/** The stats name of a payload type. */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? 'unknown';
}
