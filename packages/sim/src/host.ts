import {
  type Clock,
  type Hasher,
  type Logger,
  type Network,
  type Random,
  type Runtime,
  sleepOn,
  type TimerHandle,
} from '@p2pkit/core';
import type { SimConnection } from './connection.js';
import type { SimDatagramSocket } from './datagram.js';
import type { Engine } from './engine.js';
import { HostCrashedError } from './errors.js';
import { FIREWALL_OPEN } from './firewall.js';
import type { SimListener } from './network.js';
import { SimNetwork } from './network.js';
import type { Pipe } from './pipe.js';

/** Options of one host. Bandwidths in bytes per second; Infinity = unlimited. */
export interface HostOptions {
  /** Upload capacity shared by the host's outgoing streams (default: the simulation's). */
  upload?: number;
  /** Download capacity shared by the host's incoming streams (default: the simulation's). */
  download?: number;
  /** Position for placement latency models (coordinates): [x, y]. Default: drawn at random. */
  position?: readonly number[];
  /** The host's address (default 10.a.b.c from its index: 10.0.0.1, 10.0.0.2, ...). */
  address?: string;
  /**
   * Behind a NAT or stateful firewall (default false): inbound dials and unsolicited datagrams
   * are refused; its own dials work both ways, and a datagram gets in if it comes from an
   * address and port this socket sent to within `firewallUdpTimeoutMs` (a reply, as a NAT
   * sees one). `true` or 'refuse': a dial to it is refused after a round trip (the router
   * answers with a reset); 'drop': the SYN vanishes and the dial times out. Kept on restart.
   */
  firewalled?: boolean | 'refuse' | 'drop';
}

/**
 * One simulated host: a core `Runtime` whose clock is virtual time, whose random stream is
 * derived from the simulation seed and the host's index, and whose network is the simulated
 * one. Hand it to protocol code as its runtime. After crash() this object is dead for good
 * (every use throws HostCrashedError); restart() returns a fresh SimHost at the same address.
 */
export class SimHost implements Runtime {
  /** The host's address: what sockets bind to and what peers dial. */
  readonly host: string;
  /** Position in the simulation (stable across restarts). */
  readonly index: number;
  /** 0 for the first life of this address, +1 per restart. */
  readonly incarnation: number;
  readonly clock: Clock;
  readonly net: Network;
  readonly hash: Hasher;

  /** @internal */ readonly engine: Engine;
  /** @internal */ alive_ = true;
  /** @internal */ crashedAt = Number.NaN;
  /** @internal */ random_: Random | undefined;
  /** @internal */ log_: Logger | undefined;
  /** @internal */ udp: Map<number, SimDatagramSocket> | undefined;
  /** @internal */ listeners: Map<number, SimListener> | undefined;
  /** @internal Ports taken by client connections (TCP namespace, with listeners). */
  tcpPorts: Set<number> | undefined;
  /** @internal Open connections (for crash resets). */
  connections: Set<SimConnection> | undefined;
  /** @internal Next ephemeral port to try. */
  nextPort = 49152;

  // --- access links (see stream.ts) ---
  /** @internal Bytes per second; Infinity = unlimited. */
  upload: number;
  /** @internal */ download: number;
  /** @internal Pipes with something to send, served round-robin by segment. */
  ring: Pipe[] | undefined;
  /** @internal */ ringNext = 0;
  /** @internal The uplink is serializing a segment until its K_UPLINK event. */
  uplinkBusy = false;
  /** @internal Time the downlink queue empties. */
  downlinkFree = 0;

  /** @internal Use Simulation.addHost / restart. */
  constructor(
    engine: Engine,
    index: number,
    incarnation: number,
    address: string,
    upload: number,
    download: number,
  ) {
    this.engine = engine;
    this.index = index;
    this.incarnation = incarnation;
    this.host = address;
    this.upload = upload;
    this.download = download;
    this.clock = new SimClock(this);
    this.net = new SimNetwork(this);
    this.hash = engine.hasher;
  }

  /** Same as `host`. */
  get address(): string {
    return this.host;
  }

  /** False once crashed. */
  get alive(): boolean {
    return this.alive_;
  }

  /** True when the host sits behind a firewall (HostOptions.firewalled). */
  get firewalled(): boolean {
    return this.engine.fabric.firewallOf(this.index) !== FIREWALL_OPEN;
  }

  /** Derived from (seed, index, incarnation); created on first use. */
  get random(): Random {
    if (!this.random_) {
      this.assertAlive('random');
      this.random_ = this.engine.hostRandom(this.index, this.incarnation);
    }
    return this.random_;
  }

  /** Namespace `p2pkit`; lines are prefixed with virtual time and this host's address. */
  get log(): Logger {
    if (!this.log_) this.log_ = this.engine.hostLogger(this);
    return this.log_;
  }

  /** Crashes this host (see Simulation.crash). */
  crash(): void {
    if (this.alive_) this.engine.fabric.crash(this);
  }

  /** Crashes this host if alive, then returns a fresh SimHost at the same address. */
  restart(): SimHost {
    return this.engine.fabric.restart(this);
  }

  /** @internal */
  assertAlive(what: string): void {
    if (!this.alive_) throw new HostCrashedError(this.host, this.crashedAt, what);
  }

  /** @internal A free ephemeral port in `ports`, or 0 when all are taken. */
  ephemeralPort(taken: (port: number) => boolean): number {
    for (let tries = 0; tries < 16384; tries++) {
      const port = this.nextPort;
      this.nextPort = port === 65535 ? 49152 : port + 1;
      if (!taken(port)) return port;
    }
    return 0;
  }
}

/** Virtual time, through the simulation's event queue. */
class SimClock implements Clock {
  constructor(private readonly owner: SimHost) {}

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
}
