import {
  type Address,
  type DatagramHandler,
  type DatagramSocket,
  NetworkError,
} from '@p2pkit/core';
import type { Engine } from './engine.js';
import { HostCrashedError } from './errors.js';
import type { UdpMappings } from './firewall.js';
import type { SimHost } from './host.js';
import { portRemove } from './ports.js';

const RESOLVED = Promise.resolve();

/** Options of SimDatagramSocket.send. */
export interface DatagramSendOptions {
  /** The bytes are handed over: deliver them without a copy (the zero-copy path). */
  transfer?: boolean;
}

/**
 * A bound datagram socket on a simulated host. send() hands a copy of the bytes to the
 * simulated network (latency, loss, duplication, partitions: see Simulation); the receiver gets
 * its own copy, as over UDP. Fire and forget: a lost datagram is counted in sim.metrics.drops,
 * never reported to the sender.
 */
export class SimDatagramSocket implements DatagramSocket {
  // send() reads only this object (and the simulation): not the host, a cold object at scale.
  /** @internal */ closed = false;
  /** @internal */ readonly engine: Engine;
  /** @internal The owner's index. */ readonly index: number;
  /** Shared with every receiver as their `from`: one object per socket, not per datagram. */
  readonly address: Address;
  /** @internal */ readonly port: number;
  /** @internal */ readonly owner: SimHost;
  /** @internal */ readonly handler: DatagramHandler;
  /** @internal On a firewalled host: the peers whose replies get in (see firewall.ts). */
  readonly mappings: UdpMappings | undefined;

  /** @internal */
  constructor(
    owner: SimHost,
    port: number,
    handler: DatagramHandler,
    mappings: UdpMappings | undefined,
  ) {
    this.engine = owner.engine;
    this.mappings = mappings;
    this.index = owner.index;
    this.owner = owner;
    this.handler = handler;
    this.port = port;
    this.address = Object.freeze({ host: owner.host, port });
  }

  /**
   * Sends `data` to `to`. With `{ transfer: true }` the caller hands the bytes over (it will
   * not touch them again, and sends them nowhere else): the receiver then gets them as they
   * are, with no copy, the simulator's zero-copy path. Without it the network copies, as UDP
   * does (unless the simulation runs with `copyDatagrams: false`).
   */
  send(data: Uint8Array, to: Address, options?: DatagramSendOptions): void {
    if (this.closed) {
      const owner = this.owner;
      if (!owner.alive_) throw new HostCrashedError(owner.host, owner.crashedAt, 'send');
      throw new NetworkError(
        `send on closed socket ${owner.host}:${this.port}`,
        'ERR_SOCKET_CLOSED',
      );
    }
    const engine = this.engine;
    if (data.length > engine.maxDatagramSize) {
      throw new NetworkError(
        `datagram of ${data.length} bytes exceeds maxDatagramSize ${engine.maxDatagramSize}`,
        'ERR_DATAGRAM_TOO_LARGE',
      );
    }
    engine.fabric.sendDatagram(this, data, to, options?.transfer === true);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.owner.udp = portRemove(this.owner.udp, this);
      this.owner.engine.fabric.socketClosed(this);
    }
    return RESOLVED;
  }
}
