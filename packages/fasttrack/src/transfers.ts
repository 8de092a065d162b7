/**
 * A node's file transfers, both sides: downloads (multi-source, with a Push through the
 * holder's supernode when the holder is firewalled, and the GIVE connections that answer
 * them), and the HTTP upload handler that serves our files (also to a requester we were
 * pushed to). A supernode passes Pushes on to the child they name.
 */
import {
  type Address,
  type Connection,
  equalBytes,
  formatAddress,
  type HttpHandler,
  P2PError,
  type RpcRequest,
  sameAddress,
  TimeoutError,
} from '@p2pkit/core';
import { downloadFile, type Source } from './download.js';
import type { Link } from './link.js';
import {
  Direction,
  decodeHelloReply,
  decodePush,
  decodeStatus,
  EMPTY,
  encodePush,
  encodeStatus,
  HelloStatus,
  MessageType,
  Role,
} from './messages.js';
import type { NodeContext } from './node-context.js';
import type { DownloadOptions, DownloadResult } from './options.js';
import { give, readGive } from './push.js';
import { HEADER_NETWORK, NETWORK_NAME, UploadQueue, uploadHandler } from './transfer.js';
import { hashToHex } from './uuhash.js';
import type { SearchResult } from './wire.js';

export class Transfers {
  readonly #ctx: NodeContext;
  /** Downloads waiting for a pushed connection, by push id. */
  readonly #pushes = new Map<number, (connection: Connection) => void>();
  /** Serves our files over HTTP (a GET, or the GET after our GIVE). */
  readonly http: HttpHandler;

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
    const { o, stats, reputation } = ctx;
    this.http = uploadHandler({
      folder: o.folder,
      lookup: (hex) => {
        const f = ctx.files.get(hex);
        if (!f) return undefined;
        return { path: f.path ?? f.name, size: f.size, ...(f.pieces ? { pieces: f.pieces } : {}) };
      },
      levelOf: (requester) => reputation.levelOf(requester.id, requester.supernode),
      served: (bytes, requester) => {
        stats.uploadedBytes += bytes;
        if (bytes > 0) ctx.emit('upload', bytes, requester.remote);
        if (bytes > 0 && requester.id) {
          reputation.report(Direction.uploaded, requester.id, requester.supernode, bytes);
        }
      },
      headers: () => ({
        'X-Kazaa-Username': hashToHex(ctx.id),
        [HEADER_NETWORK]: NETWORK_NAME,
        ...(ctx.parent ? { 'X-Kazaa-SupernodeIP': formatAddress(ctx.parent.remote) } : {}),
      }),
      queue: new UploadQueue(o.uploadSlots, o.uploadQueue),
    });
  }

  /** See FastTrackNode.download. */
  async download(
    results: readonly SearchResult[],
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    const ctx = this.#ctx;
    const first = results[0];
    if (!first) throw new P2PError('nothing to download', 'ERR_INVALID_ARGUMENT');
    const folder = options.folder ?? ctx.o.folder;
    if (!folder) throw new P2PError('no folder to save into', 'ERR_INVALID_ARGUMENT');
    const same = results.filter(
      (r) =>
        r.size === first.size &&
        equalBytes(r.uuhash, first.uuhash) &&
        equalBytes(r.root, first.root),
    );
    const sources: Source[] = [];
    for (const r of same) {
      if (sources.some((s) => sameAddress(s.address, r.holder))) continue;
      sources.push({
        address: r.holder,
        id: r.holderId,
        supernode: r.supernode,
        firewalled: r.firewalled,
      });
    }
    const plan = {
      uuhash: first.uuhash,
      root: first.root,
      size: first.size,
      name: first.name,
      sources,
    };
    const result = await downloadFile(
      {
        runtime: ctx.runtime,
        headers: () => this.#requestHeaders(),
        pushConnection: (source, signal) => this.#pushed(source, first.uuhash, signal),
        report: (source, bytes) => {
          if (source.id)
            ctx.reputation.report(Direction.downloaded, source.id, source.supernode, bytes);
        },
      },
      plan,
      folder,
      options,
    );
    ctx.stats.downloadedBytes += result.fetched;
    return result;
  }

  #requestHeaders(): Record<string, string> {
    const ctx = this.#ctx;
    const sn = ctx.role === 'supernode' ? ctx.advertise : ctx.parent?.remote;
    return {
      'X-Kazaa-Username': hashToHex(ctx.id),
      [HEADER_NETWORK]: NETWORK_NAME,
      ...(sn ? { 'X-Kazaa-SupernodeIP': formatAddress(sn) } : {}),
    };
  }

  /** Asks the holder's supernode for a Push; resolves with the holder's GIVE connection. */
  async #pushed(source: Source, uuhash: Uint8Array, signal: AbortSignal): Promise<Connection> {
    const ctx = this.#ctx;
    const { supernode, id } = source;
    if (!(supernode && id)) throw new P2PError('no supernode to push through', 'ERR_NO_ROUTE');
    const runtime = ctx.runtime;
    const pushId = runtime.random.u32();
    let cancel: (error: Error) => void = () => {};
    const connection = new Promise<Connection>((resolve, reject) => {
      const done = () => {
        runtime.clock.clearTimeout(timer);
        this.#pushes.delete(pushId);
        signal.removeEventListener('abort', onAbort);
      };
      const timer = runtime.clock.setTimeout(() => {
        done();
        reject(new TimeoutError(`no GIVE from ${formatAddress(source.address)} after a Push`));
      }, ctx.o.pushTimeoutMs);
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      cancel = (error) => {
        done();
        reject(error);
      };
      this.#pushes.set(pushId, (c) => {
        done();
        resolve(c);
      });
    });
    connection.catch(() => {});
    const body = encodePush({ pushId, holderId: id, uuhash, requester: ctx.advertise });
    let status: number;
    try {
      if (ctx.role === 'supernode' && sameAddress(supernode, ctx.advertise)) {
        status = this.#deliverPush(body);
      } else {
        const parent = ctx.parent;
        const viaParent = parent && sameAddress(parent.remote, supernode);
        const link = viaParent ? parent : await this.#clientSession(supernode);
        try {
          status = decodeStatus((await link.request(MessageType.PUSH, body)).body);
        } finally {
          if (!viaParent) void link.close();
        }
      }
    } catch (error) {
      cancel(error as Error);
      throw error;
    }
    if (status !== 0) {
      cancel(new P2PError('push refused', 'ERR_NO_ROUTE'));
      throw new P2PError(`${formatAddress(supernode)} does not know the holder`, 'ERR_NO_ROUTE');
    }
    return connection;
  }

  /** A short client session (HELLO role client) to a supernode. */
  async #clientSession(address: Address): Promise<Link> {
    const ctx = this.#ctx;
    const link = await ctx.dial(address);
    try {
      const reply = decodeHelloReply(
        (await link.request(MessageType.HELLO, ctx.hello(Role.client))).body,
      );
      if (reply.status !== HelloStatus.ok)
        throw new P2PError(`${formatAddress(address)} refused us`, 'ERR_REFUSED');
      link.kind = 'client';
      return link;
    } catch (error) {
      void link.close();
      throw error;
    }
  }

  /** Supernode: passes a PUSH to the child it names (0), or says it has no such child (1). */
  #deliverPush(body: Uint8Array): number {
    const push = decodePush(body);
    const child = this.#ctx.children.get(hashToHex(push.holderId));
    if (!child) return 1;
    return child.notify(MessageType.PUSH, body) ? 0 : 1;
  }

  /** A PUSH: from our parent, dial the requester and serve it; on a supernode, pass it on. */
  onPush(link: Link, request: RpcRequest): Uint8Array {
    const ctx = this.#ctx;
    if (request.oneway) {
      // From our parent: connect to the requester and serve it.
      if (link !== ctx.parent) return EMPTY;
      const push = decodePush(request.body);
      give(ctx.runtime, push.requester, push.pushId, this.http, ctx.o.pushTimeoutMs).catch(
        (error) => ctx.emit('warning', error as Error),
      );
      return EMPTY;
    }
    if (ctx.role !== 'supernode') return encodeStatus(1);
    return encodeStatus(this.#deliverPush(request.body));
  }

  /** An incoming connection that starts with GIVE: hands it to the download waiting for it. */
  onGive(connection: Connection, head: Uint8Array): void {
    readGive(this.#ctx.runtime, connection, head, 10_000).then(
      (id) => {
        const waiter = this.#pushes.get(id);
        if (waiter) waiter(connection);
        else connection.destroy();
      },
      () => connection.destroy(),
    );
  }
}
