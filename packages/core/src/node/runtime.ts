import { createHash, randomBytes } from 'node:crypto';
import { format } from 'node:util';
import { createLogger } from '../log.js';
import { createRandom } from '../random.js';
import type { Network, Runtime } from '../runtime.js';
import { type RealClock, realClock } from './clock.js';
import { plainBytes } from './errors.js';
import { Handles } from './handles.js';
import { dialTcp, listenTcp } from './tcp.js';
import { bindUdp, MAX_UDP_PAYLOAD } from './udp.js';

export interface RealRuntimeOptions {
  /** Address sockets bind to (and dial from) by default: `127.0.0.1`. */
  host?: string;
  /** Seed of `random`; default: 32 bytes from the OS's CSPRNG (logged, so a run can replay). */
  seed?: number | bigint | string;
  /** DEBUG-style logging pattern, e.g. `p2pkit:*`; default: `process.env.DEBUG`. */
  debug?: string;
}

/** The real Runtime, plus close(): everything it opened, released at once. */
export interface RealRuntime extends Runtime {
  readonly clock: RealClock;
  /**
   * Closes every listener and datagram socket, resets every connection, aborts dials in
   * flight and cancels every timer this runtime started. Owners should close what they open;
   * this is the backstop that guarantees the process can exit.
   */
  close(): Promise<void>;
  /** Open listeners, sockets, connections and dials in flight. */
  openHandles(): number;
}

/**
 * A Runtime over the real world: Node timers and `performance.now()`, TCP (`node:net`), UDP
 * (`node:dgram`), `node:crypto` SHA-1, a PRNG seeded from the OS, and a logger writing to
 * stderr when DEBUG enables it.
 */
export function realRuntime(options: RealRuntimeOptions = {}): RealRuntime {
  const host = options.host ?? '127.0.0.1';
  const clock = realClock();
  const handles = new Handles();
  const seed = options.seed ?? randomBytes(32).toString('hex');
  const log = createLogger({
    debug: options.debug ?? process.env.DEBUG,
    sink: (record) => {
      process.stderr.write(`${record.namespace} ${format(record.message, ...record.args)}\n`);
    },
  });
  log('runtime on %s, random seed %s', host, String(seed));
  const net: Network = {
    maxDatagramSize: MAX_UDP_PAYLOAD,
    listen: (listenOptions, onConnection) => listenTcp(host, listenOptions, onConnection, handles),
    dial: (address, dialOptions = {}) => dialTcp(clock, host, address, dialOptions, handles),
    bind: (bindOptions, onDatagram) => bindUdp(host, bindOptions, onDatagram, handles),
  };
  return {
    clock,
    random: createRandom(seed),
    net,
    log,
    hash: { sha1: (data) => plainBytes(createHash('sha1').update(data).digest()) },
    host,
    async close() {
      clock.clearAll();
      await handles.closeAll();
    },
    openHandles: () => handles.size,
  };
}
