import type { Clock, Hasher, Logger, Network, Random, Runtime } from '@p2pkit/core';
import type { SimConnection } from './connection.js';
import type { SimDatagramSocket } from './datagram.js';
import type { Engine } from './engine.js';
import { HostCrashedError } from './errors.js';
import { FIREWALL_OPEN } from './firewall.js';
import { HostIO, type SimListener } from './network.js';
import type { Pipe } from './pipe.js';
import type { PortTable } from './ports.js';

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

  // Every field costs 8 bytes at 10^5 hosts and more: what an idle host does not use is
  // created on first use (io_, random_, log_, the socket tables) or lives elsewhere (crash
  // times in the engine), and unlimited hosts (the default) have no access-link state.
  /** @internal */ readonly engine: Engine;
  /** @internal */ alive_ = true;
  /** @internal The clock and network (one object), created on first use. */
  io_: HostIO | undefined;
  /** @internal */ random_: Random | undefined;
  /** @internal */ log_: Logger | undefined;
  /** @internal */ udp: PortTable<SimDatagramSocket>;
  /** @internal */ listeners: PortTable<SimListener>;
  /** @internal Ports taken by client connections (TCP namespace, with listeners). */
  tcpPorts: Set<number> | undefined;
  /** @internal Open connections (for crash resets). */
  connections: Set<SimConnection> | undefined;
  /** @internal Next ephemeral port to try. */
  nextPort = 49152;
  /** @internal Finite upload or download: the access link's queues (see pipe.ts). */
  readonly link: AccessLink | undefined;

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
    this.link =
      upload === Number.POSITIVE_INFINITY && download === Number.POSITIVE_INFINITY
        ? undefined
        : new AccessLink(upload, download);
  }

  /** Virtual time, through the simulation's event queue. */
  get clock(): Clock {
    return (this.io_ ??= new HostIO(this));
  }

  /** The simulated network, as seen from this host. */
  get net(): Network {
    return (this.io_ ??= new HostIO(this));
  }

  /** The simulation's hash (default node:crypto SHA-1). */
  get hash(): Hasher {
    return this.engine.hasher;
  }

  /** @internal Upload capacity in bytes/s (Infinity: unlimited). */
  get upload(): number {
    return this.link?.upload ?? Number.POSITIVE_INFINITY;
  }

  /** @internal */
  get download(): number {
    return this.link?.download ?? Number.POSITIVE_INFINITY;
  }

  /** @internal Virtual time of the crash (NaN while alive). */
  get crashedAt(): number {
    return this.engine.crashTimes.get(this) ?? Number.NaN;
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

/** The state of a host's access link when its upload or download is finite (see pipe.ts). */
export class AccessLink {
  /** Bytes per second; Infinity = unlimited. */
  readonly upload: number;
  readonly download: number;
  /** Pipes with something to send, served round-robin by segment. */
  ring: Pipe[] | undefined;
  ringNext = 0;
  /** The uplink is serializing a segment until its K_UPLINK event. */
  uplinkBusy = false;
  /** Time the downlink queue empties. */
  downlinkFree = 0;

  constructor(upload: number, download: number) {
    this.upload = upload;
    this.download = download;
  }
}
