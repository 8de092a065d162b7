import { type Address, allocBytes, type DatagramHandler, type Random } from '@p2pkit/core';
import { AddressBook } from './addresses.js';
import { crashConnections, type SimConnection, sendSynAck } from './connection.js';
import type { SimDatagramSocket } from './datagram.js';
import type { Engine } from './engine.js';
import { checkProbability, checkRate, checkSize, invalidOption } from './errors.js';
import { DEFAULT_UDP_MAPPING_MS, firewallMode } from './firewall.js';
import { type HostOptions, SimHost } from './host.js';
import { K_DATAGRAM, K_RST, K_SYNACK } from './kinds.js';
import { constant, type LatencyModel } from './latency.js';
import {
  DATAGRAM_BYTES_RECEIVED,
  DATAGRAM_BYTES_SENT,
  DATAGRAMS_RECEIVED,
  DATAGRAMS_SENT,
  TRAFFIC_STRIDE,
} from './metrics.js';
import { type Pipe, unstall } from './pipe.js';
import { portGet, portItems } from './ports.js';
import type { LinkOptions, SimulationOptions } from './simulation.js';

const DEFAULT_LATENCY_MS = 25;
export const MAX_HOSTS = 2 ** 24;
const FAULT = 100; // trace-hash kind of fault actions (crash, partition, ...)

interface Link {
  latency: LatencyModel | undefined;
  loss: number | undefined;
  duplicate: number | undefined;
}

/**
 * The simulated network between the hosts: who is where (addresses, per-index tables), what a
 * packet meets on its way (latency, loss, duplication, per-link overrides, partitions, holds,
 * firewalls), and the datagram path from send to the receiving socket's handler. Stream
 * control packets travel through route() too; the stream model itself is in stream.ts.
 */
export class Fabric {
  readonly hosts: SimHost[] = [];
  /** Partition or holds active: check links on send. */
  rules = false;
  /** Pipes waiting for a partition or hold to clear. */
  stalled: Pipe[] = [];
  loss: number;
  duplicate: number;

  private readonly engine: Engine;
  private readonly latency: LatencyModel;
  private readonly upload: number;
  private readonly download: number;
  private readonly copyDatagrams: boolean;
  private readonly udpMappingMs: number;
  private readonly netRandom: Random;
  private readonly placeRoot: Random;
  private readonly addresses = new AddressBook();
  // Datagram delivery reads these per-index tables instead of the host object, its socket Map
  // and the socket: with 10^5 hosts every one of those is a cache miss.
  /** 1 while the host at an index is alive. */
  private aliveAt = new Uint8Array(1024);
  /** Port of the host's first bound datagram socket (-1: none)... */
  private firstPort = new Int32Array(1024).fill(-1);
  /** ...and that socket's handler. */
  private readonly firstHandler: (DatagramHandler | undefined)[] = [];
  /** FIREWALL_* mode of the host at an index (kept across restarts). */
  private firewallAt = new Uint8Array(1024);
  private links: Map<number, Link> | undefined;
  private partitioned = false;
  private group = new Int32Array(0);
  private partitionParked: number[] = [];
  private readonly holds = new Map<number, number[]>();

  constructor(engine: Engine, options: SimulationOptions, root: Random) {
    this.engine = engine;
    this.netRandom = root.fork('net');
    this.placeRoot = root.fork('place');
    this.latency = options.latency ?? constant(DEFAULT_LATENCY_MS);
    this.loss = checkProbability('loss', options.loss ?? 0);
    this.duplicate = checkProbability('duplicate', options.duplicate ?? 0);
    this.upload = checkRate('upload', options.upload ?? Number.POSITIVE_INFINITY);
    this.download = checkRate('download', options.download ?? Number.POSITIVE_INFINITY);
    this.copyDatagrams = options.copyDatagrams ?? true;
    this.udpMappingMs = checkSize(
      'firewallUdpTimeoutMs',
      options.firewallUdpTimeoutMs ?? DEFAULT_UDP_MAPPING_MS,
    );
  }

  // ---------------------------------------------------------------- hosts

  addHost(options: HostOptions): SimHost {
    const index = this.hosts.length;
    if (index >= MAX_HOSTS) throw invalidOption(`at most ${MAX_HOSTS} hosts`);
    const upload = checkRate('upload', options.upload ?? this.upload);
    const download = checkRate('download', options.download ?? this.download);
    const firewall = firewallMode(options.firewalled);
    const address = this.addresses.add(options.address);
    const host = new SimHost(this.engine, index, 0, address, upload, download);
    this.hosts.push(host);
    this.firstHandler.push(undefined);
    if (index >= this.aliveAt.length) {
      const capacity = this.aliveAt.length * 2;
      const alive = new Uint8Array(capacity);
      alive.set(this.aliveAt);
      this.aliveAt = alive;
      const ports = new Int32Array(capacity).fill(-1);
      ports.set(this.firstPort);
      this.firstPort = ports;
      const firewalls = new Uint8Array(capacity);
      firewalls.set(this.firewallAt);
      this.firewallAt = firewalls;
    }
    this.aliveAt[index] = 1;
    this.firewallAt[index] = firewall;
    if (this.latency.place) this.latency.place(index, this.placeRoot.fork(index), options.position);
    this.engine.metrics.ensureHosts(index + 1);
    if (this.partitioned && index >= this.group.length) {
      // Joins during a partition: in no set, i.e. set 0 with the other unlisted hosts.
      const grown = new Int32Array(Math.max(1024, this.group.length * 2));
      grown.set(this.group);
      this.group = grown;
    }
    return host;
  }

  /** The host index at `address`, or undefined. */
  indexOf(address: string): number | undefined {
    return this.addresses.indexOf(address);
  }

  hostAt(index: number): SimHost {
    return this.hosts[index]!;
  }

  /** FIREWALL_* mode of the host at `index`. */
  firewallOf(index: number): number {
    return this.firewallAt[index]!;
  }

  /**
   * A datagram socket was bound: the first one per host gets the fast path (not on a
   * firewalled host, whose datagrams are checked against the socket's mappings).
   */
  socketBound(socket: SimDatagramSocket): void {
    const index = socket.owner.index;
    if (socket.mappings !== undefined) return;
    if (this.firstPort[index] === -1 && this.hosts[index] === socket.owner) {
      this.firstPort[index] = socket.port;
      this.firstHandler[index] = socket.handler;
    }
  }

  socketClosed(socket: SimDatagramSocket): void {
    const index = socket.owner.index;
    if (this.firstPort[index] === socket.port && this.hosts[index] === socket.owner) {
      this.firstPort[index] = -1;
      this.firstHandler[index] = undefined;
    }
  }

  // ---------------------------------------------------------------- faults

  crash(host: SimHost): void {
    const engine = this.engine;
    host.alive_ = false;
    engine.crashTimes.set(host, engine.now);
    this.aliveAt[host.index] = 0;
    this.firstPort[host.index] = -1;
    this.firstHandler[host.index] = undefined;
    if (engine.hashing) engine.trace.event(FAULT, engine.now, host.index, 1);
    if (host.connections) crashConnections(engine, host.connections);
    host.connections = undefined;
    for (const socket of portItems(host.udp)) socket.closed = true;
    host.udp = undefined;
    for (const listener of portItems(host.listeners)) listener.closed = true;
    host.listeners = undefined;
    host.tcpPorts = undefined;
    if (host.link) host.link.ring = undefined;
    if (engine.log.enabled) engine.log(`crash ${host.host}`);
  }

  restart(old: SimHost): SimHost {
    const engine = this.engine;
    const current = this.hosts[old.index]!;
    if (current.alive_) this.crash(current);
    const fresh = new SimHost(
      engine,
      current.index,
      current.incarnation + 1,
      current.host,
      current.upload,
      current.download,
    );
    this.hosts[current.index] = fresh;
    this.aliveAt[current.index] = 1;
    if (engine.hashing) engine.trace.event(FAULT, engine.now, fresh.index, 2);
    if (engine.log.enabled) engine.log(`restart ${fresh.host} (incarnation ${fresh.incarnation})`);
    return fresh;
  }

  /** Host indices by set; hosts in no set form one more set together. */
  partition(sets: number[][]): void {
    // One set number per host, allocated when a partition is first made.
    if (this.group.length < this.hosts.length) this.group = new Int32Array(this.hosts.length);
    else this.group.fill(0);
    const seen = new Set<number>();
    sets.forEach((set, i) => {
      for (const index of set) {
        if (seen.has(index))
          throw invalidOption(`partition: host ${this.hosts[index]!.host} is in two sets`);
        seen.add(index);
        this.group[index] = i + 1;
      }
    });
    this.partitioned = true;
    this.updateRules();
    const engine = this.engine;
    if (engine.hashing) engine.trace.event(FAULT, engine.now, sets.length, 3);
  }

  heal(): void {
    if (!this.partitioned) return;
    this.partitioned = false;
    this.group.fill(0);
    this.updateRules();
    const engine = this.engine;
    if (engine.hashing) engine.trace.event(FAULT, engine.now, -1, 4);
    const parked = this.partitionParked;
    this.partitionParked = [];
    for (const slot of parked) this.reroute(slot);
    this.unstallAll();
  }

  hold(a: number, b: number): void {
    const key = linkKey(a, b);
    if (!this.holds.has(key)) this.holds.set(key, []);
    this.updateRules();
    const engine = this.engine;
    if (engine.hashing) engine.trace.event(FAULT, engine.now, key, 5);
  }

  /** Releases the hold on a–b, or every hold when a is -1. */
  release(a: number, b: number): void {
    let lists: number[][];
    if (a < 0) {
      lists = [...this.holds.values()];
      this.holds.clear();
    } else {
      const key = linkKey(a, b);
      const list = this.holds.get(key);
      lists = list ? [list] : [];
      this.holds.delete(key);
    }
    this.updateRules();
    const engine = this.engine;
    if (engine.hashing) engine.trace.event(FAULT, engine.now, lists.length, 6);
    for (const list of lists) for (const slot of list) this.reroute(slot);
    this.unstallAll();
  }

  setLink(a: number, b: number, options: LinkOptions | null): void {
    const key = linkKey(a, b);
    if (options === null) {
      this.links?.delete(key);
      return;
    }
    const latencyOption = options.latency;
    this.links ??= new Map();
    this.links.set(key, {
      latency: typeof latencyOption === 'number' ? constant(latencyOption) : latencyOption,
      loss: options.loss === undefined ? undefined : checkProbability('loss', options.loss),
      duplicate:
        options.duplicate === undefined
          ? undefined
          : checkProbability('duplicate', options.duplicate),
    });
  }

  // ---------------------------------------------------------------- links

  /** One-way delay from host index `from` to `to`. */
  delay(from: number, to: number): number {
    if (from === to) return 0;
    let model = this.latency;
    if (this.links !== undefined) {
      const link = this.links.get(linkKey(from, to));
      if (link?.latency) model = link.latency;
    }
    const d = model.delay(from, to, this.netRandom);
    if (!(d >= 0 && d < Number.POSITIVE_INFINITY)) {
      throw invalidOption(`latency model ${model.name} returned ${d} for host ${from} -> ${to}`);
    }
    return d;
  }

  /** True when a partition or a hold stands between the two hosts. */
  blocked(from: number, to: number): boolean {
    if (this.partitioned && this.group[from] !== this.group[to]) return true;
    return this.holds.size > 0 && this.holds.has(linkKey(from, to));
  }

  /** Sends a stream control packet (SYN, SYN-ACK, refusal, reset); returns its arrival time or -1. */
  sendControl(
    kind: number,
    connection: SimConnection,
    src: number,
    dst: number,
    notBefore: number,
  ): number {
    const q = this.engine.queue;
    const slot = q.alloc(kind);
    q.a[slot] = connection;
    return this.route(slot, src, dst, true, notBefore);
  }

  /**
   * Puts a prepared packet slot on the link src → dst: dropped (unreliable, across a
   * partition), parked (held link; reliable across a partition), or scheduled after the link
   * latency (never before `notBefore`). Returns the arrival time, or -1.
   */
  route(slot: number, src: number, dst: number, reliable: boolean, notBefore: number): number {
    const q = this.engine.queue;
    q.x[slot] = dst;
    q.z[slot] = src;
    if (this.rules) {
      if (this.partitioned && this.group[src] !== this.group[dst]) {
        if (!reliable) {
          this.engine.metrics.drops.partition++;
          q.release(slot);
          return -1;
        }
        this.partitionParked.push(slot);
        return -1;
      }
      if (this.holds.size > 0) {
        const held = this.holds.get(linkKey(src, dst));
        if (held) {
          held.push(slot);
          return -1;
        }
      }
    }
    let t = this.engine.now + this.delay(src, dst);
    if (t < notBefore) t = notBefore;
    q.push(t, slot);
    return t;
  }

  /** Sends a parked packet again (after heal or release). */
  private reroute(slot: number): void {
    const q = this.engine.queue;
    const kind = q.kind[slot]!;
    const src = q.z[slot]!;
    const dst = q.x[slot]!;
    if (kind === K_DATAGRAM) {
      this.route(slot, src, dst, false, 0);
    } else if (kind === K_SYNACK) {
      const client = q.a[slot] as SimConnection;
      q.release(slot);
      sendSynAck(this.engine, client, src);
    } else if (kind === K_RST) {
      const target = q.a[slot] as SimConnection;
      this.route(slot, src, dst, true, target.in?.lastArrival ?? 0);
    } else {
      this.route(slot, src, dst, true, 0);
    }
  }

  private unstallAll(): void {
    if (this.stalled.length === 0) return;
    const pipes = this.stalled;
    this.stalled = [];
    unstall(pipes);
  }

  private updateRules(): void {
    this.rules = this.partitioned || this.holds.size > 0;
  }

  // ---------------------------------------------------------------- datagrams

  /**
   * Datagram send (the hot path: no closures, one copy of the bytes, none when the sender
   * transfers them). A duplicate is always a copy: two receivers never share bytes.
   */
  sendDatagram(socket: SimDatagramSocket, data: Uint8Array, to: Address, transfer: boolean): void {
    const src = socket.index;
    const metrics = this.engine.metrics;
    const length = data.length;
    const traffic = metrics.traffic;
    const at = src * TRAFFIC_STRIDE;
    traffic[at + DATAGRAMS_SENT]!++;
    traffic[at + DATAGRAM_BYTES_SENT]! += length;
    let type = -1;
    if (metrics.classifier) {
      type = metrics.typeOf(data, 'datagram');
      if (type >= 0) metrics.typedSent(type, src, length);
    }
    const dst = this.indexOf(to.host);
    if (dst === undefined) {
      metrics.drops.unreachable++;
      return;
    }
    // Behind a firewall, the send opens the way for replies (before loss: the NAT saw it).
    const mappings = socket.mappings;
    if (mappings !== undefined) {
      const now = this.engine.now;
      mappings.open(dst, to.port, now, now + this.udpMappingMs);
    }
    let loss = this.loss;
    let duplicate = this.duplicate;
    if (this.links !== undefined) {
      const link = this.links.get(linkKey(src, dst));
      if (link) {
        loss = link.loss ?? loss;
        duplicate = link.duplicate ?? duplicate;
      }
    }
    if (loss > 0 && this.netRandom.float() < loss) {
      metrics.drops.loss++;
      return;
    }
    this.queueDatagram(
      socket.address,
      this.copyDatagrams && !transfer ? copyBytes(data) : data,
      to.port,
      dst,
      src,
      type,
    );
    if (duplicate > 0 && this.netRandom.float() < duplicate) {
      metrics.drops.duplicated++;
      this.queueDatagram(socket.address, copyBytes(data), to.port, dst, src, type);
    }
  }

  private queueDatagram(
    from: Address,
    data: Uint8Array,
    port: number,
    dst: number,
    src: number,
    type: number,
  ): void {
    const q = this.engine.queue;
    const slot = q.alloc(K_DATAGRAM);
    q.a[slot] = from;
    q.b[slot] = data;
    q.n[slot] = port;
    q.y[slot] = type;
    this.route(slot, src, dst, false, 0);
  }

  /** K_DATAGRAM: the datagram reaches its host; hand it to the bound socket, if any. */
  deliverDatagram(slot: number, now: number): void {
    const engine = this.engine;
    const q = engine.queue;
    const from = q.a[slot] as Address;
    const data = q.b[slot] as Uint8Array;
    const port = q.n[slot]!;
    const index = q.x[slot]!;
    const type = q.y[slot]!;
    const src = q.z[slot]!;
    q.release(slot);
    if (engine.hashing) {
      engine.trace.event(K_DATAGRAM, now, index, data.length);
      if (engine.hashPayloads) engine.trace.bytes(data);
    }
    const metrics = engine.metrics;
    let handler: DatagramHandler;
    // A crash resets firstPort, so a match means a live host: one table read in the common case.
    if (this.firstPort[index] === port) handler = this.firstHandler[index]!;
    else if (this.aliveAt[index] === 0) {
      metrics.drops.crashed++;
      return;
    } else {
      const socket = portGet(this.hosts[index]!.udp, port);
      if (socket === undefined) {
        metrics.drops.noSocket++;
        return;
      }
      const mappings = socket.mappings;
      if (mappings !== undefined && src !== index && !mappings.allows(src, from.port, now)) {
        metrics.drops.firewall++;
        return;
      }
      handler = socket.handler;
    }
    const length = data.length;
    const traffic = metrics.traffic;
    const at = index * TRAFFIC_STRIDE;
    traffic[at + DATAGRAMS_RECEIVED]!++;
    traffic[at + DATAGRAM_BYTES_RECEIVED]! += length;
    if (type >= 0) metrics.typedReceived(type, index, length);
    engine.eventHost = index;
    handler(data, from);
  }
}

/**
 * The receiver's copy of a datagram. Through core's slab allocator: `slice()` gives anything
 * over 64 bytes its own off-heap backing store, about 7x slower than a slab view (450 vs
 * 65 ns for 69 bytes, a Chord LOOKUP), and most RPC datagrams are that size.
 */
function copyBytes(data: Uint8Array): Uint8Array {
  const copy = allocBytes(data.length);
  copy.set(data);
  return copy;
}

/** Symmetric key of the link between two host indices (< 2^24 each). */
function linkKey(a: number, b: number): number {
  return a < b ? a * MAX_HOSTS + b : b * MAX_HOSTS + a;
}
