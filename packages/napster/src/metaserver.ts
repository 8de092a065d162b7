/**
 * The metaserver (redirector) on TCP 8875, as OpenNap's metaserver.c: on each connection it
 * writes one `host:port` line (LF-terminated) naming a server, round-robin over its list, and
 * closes. A client connects there first to learn which server to log in to.
 */
import {
  type Address,
  ByteQueue,
  DecodeError,
  formatAddress,
  type Listener,
  parseAddress,
  type Runtime,
  TimeoutError,
} from '@p2pkit/core';

export interface MetaserverOptions {
  runtime: Runtime;
  /** Servers to hand out, in turn (at least one). */
  servers: readonly Address[];
  /** TCP port (default 8875; 0 picks a free one). */
  port?: number;
  host?: string;
}

export class Metaserver {
  private listener: Listener | undefined;
  private next = 0;
  /** Redirects handed out so far. */
  served = 0;

  constructor(private readonly options: MetaserverOptions) {
    if (options.servers.length === 0) throw new Error('a metaserver needs at least one server');
  }

  get address(): Address {
    if (!this.listener) throw new Error('metaserver not started');
    return this.listener.address;
  }

  async start(): Promise<Address> {
    const { runtime, port = 8875, host } = this.options;
    this.listener = await runtime.net.listen({ port, host }, (connection) => {
      const server = this.options.servers[this.next++ % this.options.servers.length]!;
      this.served++;
      connection.write(new TextEncoder().encode(`${formatAddress(server)}\n`));
      connection.end();
      // Nothing is read from the client: drop the connection once it closes its side, or soon.
      const timer = runtime.clock.setTimeout(() => connection.destroy(), 10_000);
      connection.on('close', () => runtime.clock.clearTimeout(timer));
      connection.on('end', () => connection.destroy());
      connection.resume();
    });
    return this.listener.address;
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await listener.close();
  }
}

export function createMetaserver(options: MetaserverOptions): Metaserver {
  return new Metaserver(options);
}

/** Asks a metaserver which server to use: reads its one `host:port` line. */
export async function askMetaserver(
  runtime: Runtime,
  metaserver: Address,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Address> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const connection = await runtime.net.dial(metaserver, { signal: options.signal, timeoutMs });
  const queue = new ByteQueue();
  try {
    return await new Promise<Address>((resolve, reject) => {
      const timer = runtime.clock.setTimeout(
        () => reject(new TimeoutError('timed out waiting for the metaserver')),
        timeoutMs,
      );
      const finish = (error?: Error, address?: Address) => {
        runtime.clock.clearTimeout(timer);
        if (error) reject(error);
        else resolve(address!);
      };
      const tryLine = (ended: boolean) => {
        let line: string | undefined;
        try {
          line = queue.readLine({ maxLength: 256 });
          if (line === undefined && ended && queue.length > 0) {
            line = new TextDecoder().decode(queue.readAll());
          }
        } catch (error) {
          return finish(error as Error);
        }
        if (line === undefined) {
          if (ended) finish(new DecodeError('metaserver closed without naming a server'));
          return;
        }
        try {
          finish(undefined, parseAddress(line.trim()));
        } catch (error) {
          finish(new DecodeError(`metaserver sent ${JSON.stringify(line)}`, { cause: error }));
        }
      };
      connection.on('data', (chunk) => {
        queue.append(chunk);
        tryLine(false);
      });
      connection.on('end', () => tryLine(true));
      connection.on('close', () => tryLine(true));
    });
  } finally {
    connection.destroy();
  }
}
