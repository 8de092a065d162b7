import {
  type Address,
  type Connection,
  type HttpHandler,
  ProtocolError,
  serveHttp,
} from '@p2pkit/core';
import type { Push } from './descriptors.js';
import { guidKey } from './guid.js';
import type { SearchHit } from './search.js';
import type { ServentContext } from './servent-context.js';
import { formatGiv, type Giv, readGiv } from './transfer.js';

/**
 * Transfers through a firewall, both sides of them: the downloader sends a Push and waits for
 * the holder's GIV connection; the holder, pushed, dials the requester, says GIV, and serves
 * the GET that follows on that socket.
 */
export class PushTransfers {
  /** Downloads waiting for a GIV, by `<servent hex>:<index>`. */
  private readonly waiters = new Map<string, (connection: Connection, rest: Uint8Array) => void>();

  constructor(
    private readonly ctx: ServentContext,
    private readonly upload: HttpHandler | undefined,
    /** Aborted when the servent stops. */
    private readonly aborts: Set<AbortController>,
    /** Routes a Push for `hit` back along its Query Hit's path; false when there is none. */
    private readonly requestPush: (hit: SearchHit, callback: Address) => boolean,
  ) {}

  /** Sends a Push for `hit` and waits for the holder's GIV connection. */
  awaitGiv(hit: SearchHit, signal?: AbortSignal): Promise<Connection> {
    const { ctx } = this;
    const key = `${guidKey(hit.serventId)}:${hit.index}`;
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        cancel();
        this.waiters.delete(key);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(signal!.reason);
      };
      const cancel = ctx.timeout(ctx.o.pushTimeoutMs, () => {
        cleanup();
        reject(
          new ProtocolError(`no GIV from the firewalled holder within ${ctx.o.pushTimeoutMs} ms`),
        );
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(key, (connection, rest) => {
        cleanup();
        // Bytes after the GIV (there should be none before our GET) would be a protocol error.
        if (rest.length > 0) {
          connection.destroy();
          reject(new ProtocolError('data after the GIV'));
          return;
        }
        resolve(connection);
      });
      if (!this.requestPush(hit, ctx.advertisedAddress)) {
        cleanup();
        reject(
          new ProtocolError(
            'no route to the firewalled holder (its Query Hit came on a closed connection)',
          ),
        );
      }
    });
  }

  /** An incoming connection that starts with `GIV `: handed to the download waiting for it. */
  async acceptGiv(connection: Connection, head: Uint8Array): Promise<void> {
    const { ctx } = this;
    try {
      const { giv, rest } = await readGiv(
        connection,
        head,
        (ms, f) => ctx.timeout(ms, f),
        ctx.o.handshakeTimeoutMs,
      );
      const waiter = this.waiters.get(`${guidKey(giv.serventId)}:${giv.index}`);
      if (waiter) {
        waiter(connection, rest);
        return;
      }
      ctx.log('unexpected GIV %d from %s', giv.index, connection.remoteAddress.host);
    } catch (error) {
      ctx.log('bad GIV: %s', (error as Error).message);
    }
    connection.destroy();
  }

  /** A Push for us: connect to the requester, say GIV, then serve its GET on that socket. */
  async answer(push: Push): Promise<void> {
    const { ctx } = this;
    const file = ctx.files.find((f) => f.index === push.index);
    if (!file || !this.upload) return;
    const abort = new AbortController();
    this.aborts.add(abort);
    try {
      const connection = await ctx.runtime.net.dial(
        { host: push.ip, port: push.port },
        { signal: abort.signal, timeoutMs: ctx.o.handshakeTimeoutMs },
      );
      const giv: Giv = { index: file.index, serventId: ctx.serventId, name: file.name };
      connection.write(formatGiv(giv));
      await serveHttp(connection, { runtime: ctx.runtime, handler: this.upload });
    } catch (error) {
      ctx.log('push to %s:%d failed: %s', push.ip, push.port, (error as Error).message);
    } finally {
      this.aborts.delete(abort);
    }
  }
}
