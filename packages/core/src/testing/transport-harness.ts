/** What a transport implementation hands the compliance suite (transport.ts), and its options. */
import type { Address, Runtime } from '../runtime.js';

/**
 * What a Network implementation hands the compliance suite: two or more runtimes that can
 * reach each other, and a way to drive it.
 *
 * The network must be lossless and must not duplicate (latency is fine): the suite checks
 * exact delivery. Real networks leave `advance` out and are simply awaited; virtual ones
 * (memory network with a manual clock, the simulator) provide it, and the suite moves time
 * forward in small steps until what it waits for has happened.
 */
export interface TransportHarness {
  /** At least two runtimes, ideally on distinct hosts, that can reach each other. */
  readonly runtimes: readonly Runtime[];
  /**
   * Lets everything already in flight happen (deliveries, callbacks, promise continuations),
   * without moving virtual time. Real networks: wait for one turn of the event loop.
   */
  settle(): Promise<void>;
  /** Virtual networks: moves time forward by `ms`, running what falls due, then settles. */
  advance?(ms: number): Promise<void>;
  /**
   * An address where a dial neither connects nor is refused (packets vanish). With it, the
   * suite checks dial timeouts; without it (real loopback has no such address), it skips them.
   */
  readonly blackhole?: Address;
  /**
   * A runtime on a firewalled host (behind a NAT or stateful firewall) that can reach
   * `runtimes`: its own dials work both ways; dials to it fail (refused or timed out) and a
   * datagram reaches one of its sockets only as a reply, from an address and port that socket
   * has sent to. Required when the suite runs with `firewall: true`.
   */
  readonly firewalled?: Runtime;
  /** Releases everything the harness (and the runtimes) still hold. */
  close(): Promise<void>;
}

export interface TransportSuiteOptions {
  /** Run the stream tests (listen/dial). Default true. */
  streams?: boolean;
  /** Run the datagram tests (bind). Default true. */
  datagrams?: boolean;
  /** Size of the large-write test in bytes (default 4 MiB). */
  largeWriteBytes?: number;
  /** Virtual time the suite lets pass while waiting for one thing (default 120 s). */
  virtualWaitMs?: number;
  /** Step by which the suite advances virtual time while waiting (default 5 ms). */
  virtualStepMs?: number;
  /** Run the firewall tests: the harness provides `firewalled` (default false). */
  firewall?: boolean;
  /**
   * How long the firewall tests wait before concluding that nothing arrives, in ms (virtual
   * time when the harness has `advance`, else real time; default 1000).
   */
  quietMs?: number;
}
