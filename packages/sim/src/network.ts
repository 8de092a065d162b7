import {
  type Address,
  abortErrorFrom,
  type BindOptions,
  type Clock,
  type Connection,
  type DatagramHandler,
  type DatagramSocket,
  type DialOptions,
  type Listener,
  type ListenOptions,
  type Network,
  NetworkError,
  sleepOn,
  type TimerHandle,
} from '@p2pkit/core';
import { dial } from './connection.js';
import { SimDatagramSocket } from './datagram.js';
import { HostCrashedError } from './errors.js';
import { UdpMappings } from './firewall.js';
import type { SimHost } from './host.js';
import { portAdd, portGet, portRemove } from './ports.js';

const RESOLVED = Promise.resolve();
const ANY_HOSTS = new Set(['0.0.0.0', '::', '']);

/** A listening stream endpoint on a simulated host. */
export class SimListener implements Listener {
  readonly address: Address;
  /** @internal */ closed = false;
  /** @internal */ readonly owner: SimHost;
  /** @internal */ readonly onConnection: (connection: Connection) => void;
  /** @internal */ readonly port: number;

  /** @internal */
  constructor(owner: SimHost, port: number, onConnection: (connection: Connection) => void) {
    this.owner = owner;
    this.onConnection = onConnection;
    this.port = port;
    this.address = Object.freeze({ host: owner.host, port });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.owner.listeners = portRemove(this.owner.listeners, this);
    }
    return RESOLVED;
  }
}

/**
 * The clock and the Network of one simulated host, in one object (hosts at 10^5 and more pay
 * for every object). The clock is virtual time through the event queue. listen() and bind()
 * complete at once (their promises are already resolved), so setup code can await them before
 * the simulation runs; dial() takes a round trip of virtual time.
 */
export class HostIO implements Clock, Network {
  constructor(private readonly owner: SimHost) {}

  // ---------------------------------------------------------------- Clock

  now(): number {
    return this.owner.engine.now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.owner.engine.timer(this.owner, callback, ms, false);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.owner.engine.timer(this.owner, callback, ms, true);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.owner.engine.clearTimer(this.owner, handle);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  // ---------------------------------------------------------------- Network

  get maxDatagramSize(): number {
    return this.owner.engine.maxDatagramSize;
  }

  listen(
    options: ListenOptions,
    onConnection: (connection: Connection) => void,
  ): Promise<Listener> {
    const owner = this.owner;
    if (!owner.alive_)
      return Promise.reject(new HostCrashedError(owner.host, owner.crashedAt, 'listen'));
    const bad = this.checkLocal(options.host);
    if (bad) return Promise.reject(bad);
    const tcp = owner.tcpPorts;
    const taken = (port: number) =>
      portGet(owner.listeners, port) !== undefined || (tcp?.has(port) ?? false);
    const port = this.pickPort(options.port, taken);
    if (typeof port !== 'number') return Promise.reject(port);
    const listener = new SimListener(owner, port, onConnection);
    owner.listeners = portAdd(owner.listeners, listener);
    return Promise.resolve(listener);
  }

  dial(address: Address, options: DialOptions = {}): Promise<Connection> {
    const owner = this.owner;
    if (!owner.alive_)
      return Promise.reject(new HostCrashedError(owner.host, owner.crashedAt, 'dial'));
    if (options.signal?.aborted) return Promise.reject(abortErrorFrom(options.signal));
    const bad = this.checkLocal(options.localHost);
    if (bad) return Promise.reject(bad);
    return dial(owner, address, options);
  }

  bind(options: BindOptions, onDatagram: DatagramHandler): Promise<DatagramSocket> {
    const owner = this.owner;
    if (!owner.alive_)
      return Promise.reject(new HostCrashedError(owner.host, owner.crashedAt, 'bind'));
    const bad = this.checkLocal(options.host);
    if (bad) return Promise.reject(bad);
    const port = this.pickPort(options.port, (p) => portGet(owner.udp, p) !== undefined);
    if (typeof port !== 'number') return Promise.reject(port);
    const socket = new SimDatagramSocket(
      owner,
      port,
      onDatagram,
      owner.firewalled ? new UdpMappings() : undefined,
    );
    owner.udp = portAdd(owner.udp, socket);
    owner.engine.fabric.socketBound(socket);
    return Promise.resolve(socket);
  }

  private checkLocal(host: string | undefined): NetworkError | undefined {
    if (host === undefined || host === this.owner.host || ANY_HOSTS.has(host)) return undefined;
    return new NetworkError(
      `cannot use local address ${host} on simulated host ${this.owner.host}`,
      'ERR_NETWORK',
    );
  }

  private pickPort(
    requested: number | undefined,
    taken: (port: number) => boolean,
  ): number | NetworkError {
    if (requested === undefined || requested === 0) {
      const port = this.owner.ephemeralPort(taken);
      if (port !== 0) return port;
      return new NetworkError(`no free ephemeral port on ${this.owner.host}`, 'ERR_ADDRESS_IN_USE');
    }
    if (!(Number.isInteger(requested) && requested > 0 && requested <= 65535)) {
      return new NetworkError(`invalid port ${requested}`, 'ERR_NETWORK');
    }
    if (taken(requested)) {
      return new NetworkError(
        `address in use: ${this.owner.host}:${requested}`,
        'ERR_ADDRESS_IN_USE',
      );
    }
    return requested;
  }
}
