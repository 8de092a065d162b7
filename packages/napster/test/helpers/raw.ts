/**
 * A raw Napster client for server tests: sends frames byte for byte and collects what the
 * server answers, decoded. Runs on core's memory network (no clock needed for deliveries).
 */
import {
  type Address,
  type Connection,
  createMemoryNetwork,
  type MemoryNetwork,
} from '@p2pkit/core';
import {
  type ClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeFrame,
  type ServerMessage,
  type UnknownMessage,
} from '../../src/index.js';
import {
  createNapsterServer,
  type NapsterServer,
  type NapsterServerOptions,
} from '../../src/server.js';

export type Received = ServerMessage | UnknownMessage;

/** Lets queued microtasks (memory-network deliveries) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * Appends `chunk` to what was left over, hands every whole frame on decoded (read by hand from
 * the header, not through the package's framing) and returns the new leftover.
 */
export function takeServerMessages(
  leftover: Uint8Array,
  chunk: Uint8Array,
  onMessage: (message: Received) => void,
): Uint8Array {
  const merged = new Uint8Array(leftover.length + chunk.length);
  merged.set(leftover);
  merged.set(chunk, leftover.length);
  let at = 0;
  while (merged.length - at >= 4) {
    const length = merged[at]! | (merged[at + 1]! << 8);
    if (merged.length - at - 4 < length) break;
    const type = merged[at + 2]! | (merged[at + 3]! << 8);
    const data = new TextDecoder().decode(merged.subarray(at + 4, at + 4 + length));
    onMessage(decodeServerMessage(type, data));
    at += 4 + length;
  }
  return merged.slice(at);
}

export class RawClient {
  readonly received: Received[] = [];
  closed = false;
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(readonly connection: Connection) {
    connection.on('data', (chunk) => {
      this.buffer = takeServerMessages(this.buffer, chunk, (m) => this.received.push(m));
    });
    // The server half-closes after a fatal error (OpenNap closes the socket): a client reads
    // the end and closes too.
    connection.on('end', () => {
      this.closed = true;
      connection.end();
    });
    connection.on('close', () => {
      this.closed = true;
    });
  }

  send(message: ClientMessage): void {
    this.connection.write(encodeClientMessage(message));
  }

  sendRaw(type: number, data: string | Uint8Array): void {
    if (typeof data === 'string') this.connection.write(encodeFrame(type, data));
    else {
      const frame = new Uint8Array(4 + data.length);
      frame.set([data.length & 0xff, data.length >> 8, type & 0xff, type >> 8]);
      frame.set(data, 4);
      this.connection.write(frame);
    }
  }

  /** Everything received so far, then forgets it. */
  take(): Received[] {
    return this.received.splice(0);
  }

  kinds(): string[] {
    return this.take().map((m) => m.kind);
  }

  /** Logs in and swallows the ack, MOTD and stats. */
  async login(
    nick: string,
    port = 6699,
    extra: Partial<ClientMessage & { kind: 'login' }> = {},
  ): Promise<Received[]> {
    this.send({
      kind: 'login',
      nick,
      password: 'pw',
      port,
      clientInfo: 'test 1.0',
      linkType: 7,
      ...extra,
    });
    await flush();
    return this.take();
  }
}

export interface World {
  hub: MemoryNetwork;
  server: NapsterServer;
  address: Address;
  /** A raw client on its own host (10.0.0.x), so that each has its own IP. */
  client(host?: string): Promise<RawClient>;
  stop(): Promise<void>;
}

let hostCounter = 10;

export async function world(options: Partial<NapsterServerOptions> = {}): Promise<World> {
  const hub = createMemoryNetwork();
  const server = createNapsterServer({ runtime: hub.runtime('10.0.0.1'), port: 8888, ...options });
  const address = await server.start();
  const clients: RawClient[] = [];
  return {
    hub,
    server,
    address,
    async client(host = `10.0.1.${hostCounter++ % 250}`) {
      const connection = await hub.runtime(host).net.dial(address);
      const c = new RawClient(connection);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.connection.destroy();
      await server.stop();
    },
  };
}
