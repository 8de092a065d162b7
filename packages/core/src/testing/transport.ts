import { describe, expect, it } from 'vitest';
import { equalBytes } from '../codec/bytes.js';
import { isP2PError } from '../errors.js';
import type { Address, Connection, DatagramSocket, Runtime } from '../runtime.js';
import { harnessScope } from './drive.js';

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

/**
 * The transport compliance suite: every Network implementation (TCP/UDP, memory, simulator)
 * runs these same tests from a short test file:
 *
 * ```ts
 * transportComplianceSuite('memory', async () => { ...; return { runtimes, settle, advance, close } });
 * ```
 */
export function transportComplianceSuite(
  name: string,
  factory: () => Promise<TransportHarness>,
  options: TransportSuiteOptions = {},
): void {
  const largeWriteBytes = options.largeWriteBytes ?? 4 * 1024 * 1024;
  const virtualWaitMs = options.virtualWaitMs ?? 120_000;
  const virtualStepMs = options.virtualStepMs ?? 5;
  const quietMs = options.quietMs ?? 1000;

  describe(`transport compliance: ${name}`, () => {
    const scope = harnessScope(factory, virtualStepMs, virtualWaitMs);
    const { cleanups, setup, until } = scope;

    /** A promise of the next `event` on `connection`. */
    function next<T extends unknown[]>(
      connection: Connection,
      event: 'end' | 'drain' | 'close',
    ): Promise<T> {
      return new Promise((resolve) => {
        connection.once(event, (...args: unknown[]) => resolve(args as T));
      });
    }

    /** Collects a connection's bytes until `end` (or `close`). */
    function collect(connection: Connection): Promise<Uint8Array> {
      const chunks: Uint8Array[] = [];
      return new Promise((resolve) => {
        const done = () => resolve(concat(chunks));
        connection.on('data', (chunk) => chunks.push(chunk));
        connection.once('end', done);
        connection.once('close', done);
      });
    }

    /** Listens on `server`, dials from `client`; resolves to both ends. */
    async function connectPair(
      server: Runtime,
      client: Runtime,
    ): Promise<{ accepted: Connection; dialed: Connection; listenerAddress: Address }> {
      let onAccept!: (connection: Connection) => void;
      const acceptedPromise = new Promise<Connection>((resolve) => {
        onAccept = resolve;
      });
      const listener = await until(server.net.listen({}, onAccept), 'listen');
      cleanups.push(() => listener.close());
      const dialed = await until(client.net.dial(listener.address), 'dial');
      const accepted = await until(acceptedPromise, 'accept');
      cleanups.push(
        () => dialed.destroy(),
        () => accepted.destroy(),
      );
      return { accepted, dialed, listenerAddress: listener.address };
    }

    async function bind(
      runtime: Runtime,
      onDatagram: (data: Uint8Array, from: Address) => void,
      port?: number,
    ): Promise<DatagramSocket> {
      const socket = await until(runtime.net.bind(port ? { port } : {}, onDatagram), 'bind');
      cleanups.push(() => socket.close());
      return socket;
    }

    function expectCode(error: unknown, code: string): void {
      expect(isP2PError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    }

    async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
      try {
        await until(promise, what);
      } catch (error) {
        return error;
      }
      throw new Error(`${what}: expected a rejection`);
    }

    if (options.streams !== false) {
      describe('streams', () => {
        it('connects: addresses on both ends agree', async () => {
          const { a, b } = await setup();
          const { accepted, dialed, listenerAddress } = await connectPair(a, b);
          expect(listenerAddress.port).toBeGreaterThan(0);
          expect(dialed.remoteAddress).toEqual(listenerAddress);
          expect(accepted.localAddress.port).toBe(listenerAddress.port);
          expect(accepted.remoteAddress).toEqual(dialed.localAddress);
          expect(dialed.localAddress.host).toBe(b.host);
          expect(dialed.destroyed).toBe(false);
        });

        it('delivers bytes in order, both ways', async () => {
          const { a, b } = await setup();
          const { accepted, dialed } = await connectPair(a, b);
          // The accepting side echoes everything back, then ends when the dialer ends.
          accepted.on('data', (chunk) => accepted.write(chunk));
          accepted.once('end', () => accepted.end());
          const echoed = collect(dialed);
          const sent: Uint8Array[] = [];
          for (let i = 0; i < 200; i++) {
            const chunk = pattern(1 + ((i * 37) % 500), i);
            sent.push(chunk);
            dialed.write(chunk.slice());
          }
          dialed.end();
          expect(equalBytes(await until(echoed, 'echo'), concat(sent))).toBe(true);
        });

        it(`carries a large write (${largeWriteBytes} bytes) intact`, async () => {
          const { a, b } = await setup();
          const { accepted, dialed } = await connectPair(a, b);
          const received = collect(accepted);
          const payload = pattern(largeWriteBytes, 7);
          dialed.write(payload.slice());
          dialed.end();
          const got = await until(received, 'large write');
          expect(got.length).toBe(payload.length);
          expect(equalBytes(got, payload)).toBe(true);
        });

        it('streams several MiB with backpressure honoured (write → false, then drain)', async () => {
          const { a, b } = await setup();
          const { accepted, dialed } = await connectPair(a, b);
          const received = collect(accepted);
          const total = largeWriteBytes;
          const chunkSize = 16 * 1024;
          let sent = 0;
          while (sent < total) {
            const chunk = pattern(Math.min(chunkSize, total - sent), sent);
            sent += chunk.length;
            if (!dialed.write(chunk)) {
              await until(next(dialed, 'drain'), 'drain');
            }
          }
          dialed.end();
          const got = await until(received, 'receive');
          expect(got.length).toBe(total);
          expect(equalBytes(got, pattern(total, 0))).toBe(true);
        });

        it('pushes back on a paused reader: write returns false, drain follows resume', async () => {
          const { a, b } = await setup();
          const { accepted, dialed } = await connectPair(a, b);
          accepted.pause();
          let chunksWhilePaused = 0;
          let resumed = false;
          const chunks: Uint8Array[] = [];
          accepted.on('data', (chunk) => {
            if (!resumed) chunksWhilePaused++;
            chunks.push(chunk);
          });
          const chunk = 64 * 1024;
          const cap = 256 * 1024 * 1024;
          let written = 0;
          let full = false;
          // Real TCP absorbs a few MiB in kernel buffers first; the cap keeps a broken
          // implementation from looping forever.
          while (!full && written < cap) {
            full = !dialed.write(pattern(chunk, written));
            written += chunk;
            if (!full && written % (1024 * 1024) === 0) await scope.harness.settle();
          }
          expect(full).toBe(true);
          expect(dialed.writableLength).toBeGreaterThan(0);
          await scope.harness.settle();
          expect(chunksWhilePaused).toBe(0);
          const drained = next(dialed, 'drain');
          const ended = next(accepted, 'end');
          resumed = true;
          accepted.resume();
          await until(drained, 'drain after resume');
          dialed.end();
          await until(ended, 'end');
          const got = concat(chunks);
          expect(got.length).toBe(written);
          expect(equalBytes(got, pattern(written, 0))).toBe(true);
        });

        it('half-close: the peer sees end and can still write back', async () => {
          const { a, b } = await setup();
          const { accepted, dialed } = await connectPair(a, b);
          const acceptedGot = collect(accepted);
          const dialedGot = collect(dialed);
          const acceptedClosed = next<[Error?]>(accepted, 'close');
          const dialedClosed = next<[Error?]>(dialed, 'close');
          dialed.write(utf8('ping'));
          dialed.end();
          expect(dialed.write(utf8('late'))).toBe(false);
          expect(text(await until(acceptedGot, 'ping + end'))).toBe('ping');
          // Half-open: the dialer ended, yet the accepted side still writes and is heard.
          expect(accepted.write(utf8('pong'))).toBe(true);
          accepted.end();
          expect(text(await until(dialedGot, 'pong + end'))).toBe('pong');
          const [acceptedError] = await until(acceptedClosed, 'close (accepted)');
          const [dialedError] = await until(dialedClosed, 'close (dialed)');
          expect(acceptedError).toBeUndefined();
          expect(dialedError).toBeUndefined();
          expect(accepted.destroyed).toBe(true);
          expect(dialed.destroyed).toBe(true);
        });

        it('destroy: the peer sees close with ERR_CONNECTION_RESET', async () => {
          const { a, b } = await setup();
          const { accepted, dialed } = await connectPair(a, b);
          accepted.on('data', () => {});
          const peerClosed = next<[Error?]>(accepted, 'close');
          const selfClosed = next<[Error?]>(dialed, 'close');
          const reason = new Error('done with you');
          dialed.destroy(reason);
          expect(dialed.destroyed).toBe(true);
          expect(dialed.write(utf8('x'))).toBe(false);
          const [peerError] = await until(peerClosed, 'peer close');
          expectCode(peerError, 'ERR_CONNECTION_RESET');
          const [selfError] = await until(selfClosed, 'own close');
          expect(selfError).toBe(reason);
        });

        it('end then destroy at once: both ends close, the socket is released', async () => {
          // Node's resetAndDestroy() during a pending shutdown fails with EINVAL and leaks the
          // handle: no 'close', and the process never exits. A Connection must close anyway.
          const { a, b } = await setup();
          const { accepted, dialed } = await connectPair(a, b);
          accepted.on('data', () => {});
          // The peer hears the end (or the reset, where it comes first); a half-open peer that
          // only reads may not notice a reset that follows the FIN until it writes.
          const peerHeard = Promise.race([next(accepted, 'end'), next(accepted, 'close')]);
          const selfClosed = next<[Error?]>(dialed, 'close');
          dialed.write(utf8('bye'));
          dialed.end();
          dialed.destroy();
          expect(dialed.destroyed).toBe(true);
          await until(selfClosed, 'own close');
          await until(peerHeard, 'peer end or close');
          accepted.destroy();
        });

        it('holds bytes, end and reset until the first data listener', async () => {
          const { a, b, h } = await setup();
          let mode: 'greet' | 'reset' = 'greet';
          const listener = await until(
            a.net.listen({}, (connection) => {
              if (mode === 'reset') {
                connection.destroy();
                return;
              }
              connection.write(utf8('hello'));
              connection.end();
            }),
            'listen',
          );
          cleanups.push(() => listener.close());
          const greeted = await until(b.net.dial(listener.address), 'dial');
          cleanups.push(() => greeted.destroy());
          // Let the greeting and the FIN arrive before anyone listens.
          for (let i = 0; i < 5; i++) await (h.advance ? h.advance(1) : h.settle());
          expect(text(await until(collect(greeted), 'late subscriber'))).toBe('hello');

          mode = 'reset';
          let reset: Connection;
          try {
            reset = await until(b.net.dial(listener.address), 'dial');
          } catch (error) {
            // Real TCP may see the reset before it reports the connect: also a correct outcome.
            expectCode(error, 'ERR_CONNECTION_RESET');
            return;
          }
          cleanups.push(() => reset.destroy());
          for (let i = 0; i < 5; i++) await (h.advance ? h.advance(1) : h.settle());
          const closed = next<[Error?]>(reset, 'close');
          reset.on('data', () => {});
          const [error] = await until(closed, 'reset seen by a late subscriber');
          expectCode(error, 'ERR_CONNECTION_RESET');
        });

        it('refuses a dial where nothing listens (ERR_CONNECTION_REFUSED)', async () => {
          const { a, b } = await setup();
          const listener = await until(
            a.net.listen({}, () => {}),
            'listen',
          );
          const address = listener.address;
          await until(listener.close(), 'close');
          expectCode(await rejection(b.net.dial(address), 'dial'), 'ERR_CONNECTION_REFUSED');
        });

        it('aborts a dial: signal aborted before, or right after dial()', async () => {
          const { a, b } = await setup();
          const listener = await until(
            a.net.listen({}, (c) => c.destroy()),
            'listen',
          );
          cleanups.push(() => listener.close());
          const before = new AbortController();
          before.abort();
          expectCode(
            await rejection(b.net.dial(listener.address, { signal: before.signal }), 'dial'),
            'ERR_ABORTED',
          );
          const during = new AbortController();
          const dialing = b.net.dial(listener.address, { signal: during.signal });
          during.abort();
          expectCode(await rejection(dialing, 'dial'), 'ERR_ABORTED');
        });

        it('times out a dial to a black hole (TimeoutError), or aborts it', async (context) => {
          const { b, h } = await setup();
          // Real loopback has no black hole (SYNs are answered or refused): skipped, and shown so.
          if (!h.blackhole) context.skip();
          if (!h.blackhole) return;
          const started = b.clock.now();
          const timedOut = await rejection(
            b.net.dial(h.blackhole, { timeoutMs: 200 }),
            'dial timeout',
          );
          expectCode(timedOut, 'ERR_TIMEOUT');
          expect(b.clock.now() - started).toBeGreaterThanOrEqual(200);
          const controller = new AbortController();
          const dialing = b.net.dial(h.blackhole, { signal: controller.signal, timeoutMs: 60_000 });
          await h.advance?.(50);
          controller.abort();
          expectCode(await rejection(dialing, 'dial abort'), 'ERR_ABORTED');
        });

        it('listener close: new dials are refused, accepted connections keep working', async () => {
          const { a, b } = await setup();
          let accept!: (connection: Connection) => void;
          const accepted = new Promise<Connection>((resolve) => {
            accept = resolve;
          });
          const listener = await until(a.net.listen({}, accept), 'listen');
          const dialed = await until(b.net.dial(listener.address), 'dial');
          const server = await until(accepted, 'accept');
          cleanups.push(
            () => dialed.destroy(),
            () => server.destroy(),
          );
          await until(listener.close(), 'listener close');
          expectCode(
            await rejection(b.net.dial(listener.address), 'dial after close'),
            'ERR_CONNECTION_REFUSED',
          );
          server.on('data', (chunk) => server.write(chunk));
          server.once('end', () => server.end());
          const echoed = collect(dialed);
          dialed.write(utf8('still here'));
          dialed.end();
          expect(text(await until(echoed, 'echo after listener close'))).toBe('still here');
        });

        it('rejects listening on a port in use (ERR_ADDRESS_IN_USE)', async () => {
          const { a } = await setup();
          const listener = await until(
            a.net.listen({}, () => {}),
            'listen',
          );
          cleanups.push(() => listener.close());
          expectCode(
            await rejection(
              a.net.listen({ port: listener.address.port }, () => {}),
              'listen',
            ),
            'ERR_ADDRESS_IN_USE',
          );
        });

        it('serves many connections at once', async () => {
          const { a, b } = await setup();
          const listener = await until(
            a.net.listen({}, (connection) => {
              connection.on('data', (chunk) => connection.write(chunk));
              connection.once('end', () => connection.end());
            }),
            'listen',
          );
          cleanups.push(() => listener.close());
          const results = await until(
            Promise.all(
              Array.from({ length: 20 }, async (_, i) => {
                const connection = await b.net.dial(listener.address);
                cleanups.push(() => connection.destroy());
                const echoed = collect(connection);
                connection.write(utf8(`hello ${i}`));
                connection.end();
                return text(await echoed);
              }),
            ),
            'twenty echoes',
          );
          expect(results).toEqual(Array.from({ length: 20 }, (_, i) => `hello ${i}`));
        });
      });
    }

    if (options.datagrams !== false) {
      describe('datagrams', () => {
        it('round trip: from is the sender bound address', async () => {
          const { a, b } = await setup();
          let reply!: (value: [Uint8Array, Address]) => void;
          const replied = new Promise<[Uint8Array, Address]>((resolve) => {
            reply = resolve;
          });
          const server = await bind(a, (data, from) => {
            server.send(utf8(`echo:${text(data)}`), from);
          });
          const client = await bind(b, (data, from) => reply([data, from]));
          expect(server.address.port).toBeGreaterThan(0);
          client.send(utf8('hi'), server.address);
          const [data, from] = await until(replied, 'reply');
          expect(text(data)).toBe('echo:hi');
          expect(from).toEqual(server.address);
        });

        it('delivers each datagram whole, boundaries kept', async () => {
          const { a, b } = await setup();
          const count = 50;
          const seen = new Map<number, Uint8Array>();
          let all!: () => void;
          const done = new Promise<void>((resolve) => {
            all = resolve;
          });
          const server = await bind(a, (data) => {
            seen.set(data[0]!, data);
            if (seen.size === count) all();
          });
          const client = await bind(b, () => {});
          for (let i = 0; i < count; i++) {
            const payload = pattern(1 + i * 20, i);
            payload[0] = i;
            client.send(payload, server.address);
          }
          await until(done, 'all datagrams');
          for (let i = 0; i < count; i++) {
            const expected = pattern(1 + i * 20, i);
            expected[0] = i;
            expect(equalBytes(seen.get(i)!, expected)).toBe(true);
          }
        });

        it('carries a datagram of exactly maxDatagramSize; one byte more throws', async () => {
          const { a, b } = await setup();
          const max = b.net.maxDatagramSize;
          expect(max).toBeGreaterThan(0);
          let got!: (data: Uint8Array) => void;
          const received = new Promise<Uint8Array>((resolve) => {
            got = resolve;
          });
          const server = await bind(a, (data) => got(data));
          const client = await bind(b, () => {});
          let thrown: unknown;
          try {
            client.send(new Uint8Array(max + 1), server.address);
          } catch (error) {
            thrown = error;
          }
          expectCode(thrown, 'ERR_DATAGRAM_TOO_LARGE');
          const payload = pattern(max, 3);
          client.send(payload, server.address);
          const data = await until(received, 'max-size datagram');
          expect(data.length).toBe(max);
          expect(equalBytes(data, payload)).toBe(true);
        });

        it('close: send throws ERR_SOCKET_CLOSED, the port is free again, no late delivery', async () => {
          const { a, b } = await setup();
          let oldDeliveries = 0;
          const first = await until(
            a.net.bind({}, () => {
              oldDeliveries++;
            }),
            'bind',
          );
          const port = first.address.port;
          await until(first.close(), 'close');
          let thrown: unknown;
          try {
            first.send(utf8('x'), first.address);
          } catch (error) {
            thrown = error;
          }
          expectCode(thrown, 'ERR_SOCKET_CLOSED');
          let got!: (data: Uint8Array) => void;
          const received = new Promise<Uint8Array>((resolve) => {
            got = resolve;
          });
          const second = await bind(a, (data) => got(data), port);
          expect(second.address.port).toBe(port);
          const client = await bind(b, () => {});
          client.send(utf8('to the new socket'), second.address);
          expect(text(await until(received, 'delivery to rebound port'))).toBe('to the new socket');
          expect(oldDeliveries).toBe(0);
        });

        it('rejects binding a port in use (ERR_ADDRESS_IN_USE)', async () => {
          const { a } = await setup();
          const socket = await bind(a, () => {});
          expectCode(
            await rejection(
              a.net.bind({ port: socket.address.port }, () => {}),
              'bind',
            ),
            'ERR_ADDRESS_IN_USE',
          );
        });
      });
    }

    if (options.firewall === true) {
      describe('firewalled host', () => {
        async function setupFirewalled(): Promise<{ a: Runtime; f: Runtime }> {
          const { a, h } = await setup();
          expect(h.firewalled, 'firewall: true needs harness.firewalled').toBeDefined();
          return { a, f: h.firewalled! };
        }

        /** Lets `ms` pass (virtual time when the network has it), so what is coming arrives. */
        async function quiet(ms: number): Promise<void> {
          const h = scope.harness;
          if (h.advance) await h.advance(ms);
          else await h.firewalled!.clock.sleep(ms);
          await h.settle();
        }

        it('refuses an inbound dial (refused or timed out); the listener sees nothing', async () => {
          const { a, f } = await setupFirewalled();
          let accepted = 0;
          const listener = await until(
            f.net.listen({}, (connection) => {
              accepted++;
              connection.destroy();
            }),
            'listen',
          );
          cleanups.push(() => listener.close());
          const error = await rejection(
            a.net.dial({ host: f.host, port: listener.address.port }, { timeoutMs: 2000 }),
            'dial to a firewalled host',
          );
          expect(
            isP2PError(error, 'ERR_CONNECTION_REFUSED') || isP2PError(error, 'ERR_TIMEOUT'),
            `expected ERR_CONNECTION_REFUSED or ERR_TIMEOUT, got ${String(error)}`,
          ).toBe(true);
          await quiet(quietMs);
          expect(accepted).toBe(0);
        });

        it('dials out: bytes flow both ways, then end both ways', async () => {
          const { a, f } = await setupFirewalled();
          const { accepted, dialed } = await connectPair(a, f);
          expect(dialed.localAddress.host).toBe(f.host);
          accepted.on('data', (chunk) => accepted.write(chunk));
          accepted.once('end', () => accepted.end());
          const echoed = collect(dialed);
          const payload = pattern(100_000, 11);
          dialed.write(payload.slice());
          dialed.end();
          expect(equalBytes(await until(echoed, 'echo through the firewall'), payload)).toBe(true);
        });

        it('datagrams: only replies get in, from the peer the socket sent to', async () => {
          const { a, f } = await setupFirewalled();
          const got: string[] = [];
          let onReply!: () => void;
          const replied = new Promise<void>((resolve) => {
            onReply = resolve;
          });
          const inside = await bind(f, (data) => {
            got.push(text(data));
            if (text(data) === 'reply') onReply();
          });
          const otherInside: string[] = [];
          const other = await bind(f, (data) => otherInside.push(text(data)));
          const stranger = await bind(a, () => {});
          let onHello!: (from: Address) => void;
          const hello = new Promise<Address>((resolve) => {
            onHello = resolve;
          });
          const peer = await bind(a, (data, from) => {
            if (text(data) === 'hello') onHello(from);
          });
          // Unsolicited: before the firewalled socket has sent anything.
          peer.send(utf8('unsolicited'), inside.address);
          await quiet(quietMs);
          expect(got).toEqual([]);
          // The firewalled socket sends out; its peer answers to the address it saw.
          inside.send(utf8('hello'), peer.address);
          // (Behind a real NAT, `from` is the router's public address, not f.host.)
          const from = await until(hello, 'hello from behind the firewall');
          peer.send(utf8('reply'), from);
          await until(replied, 'reply through the firewall');
          // Another port on the same peer host, and another socket behind the firewall: refused.
          stranger.send(utf8('from another port'), from);
          peer.send(utf8('to another socket'), other.address);
          stranger.send(utf8('to another socket'), other.address);
          await quiet(quietMs);
          expect(got).toEqual(['reply']);
          expect(otherInside).toEqual([]);
        });
      });
    }

    describe('timers', () => {
      /** Time passes: virtual networks advance it, real ones wait for it. */
      async function wait(runtime: Runtime, ms: number): Promise<void> {
        await until(runtime.clock.sleep(ms), `sleep ${ms}`);
      }

      it('setTimeout fires once, in due order, ties in creation order', async () => {
        const { a } = await setup();
        const fired: string[] = [];
        const started = a.clock.now();
        let firedAt = 0;
        a.clock.setTimeout(() => fired.push('30'), 30);
        a.clock.setTimeout(() => {
          fired.push('10a');
          firedAt = a.clock.now();
        }, 10);
        a.clock.setTimeout(() => fired.push('20'), 20);
        a.clock.setTimeout(() => fired.push('10b'), 10);
        await wait(a, 45);
        expect(fired).toEqual(['10a', '10b', '20', '30']);
        // Node's timers may fire up to 1 ms early against performance.now().
        expect(firedAt - started).toBeGreaterThanOrEqual(9);
      });

      it('clearTimeout cancels; clearing twice or undefined is harmless', async () => {
        const { a } = await setup();
        let fired = 0;
        const handle = a.clock.setTimeout(() => fired++, 5);
        a.clock.clearTimeout(handle);
        a.clock.clearTimeout(handle);
        a.clock.clearTimeout(undefined);
        await wait(a, 20);
        expect(fired).toBe(0);
      });

      it('setInterval repeats until cleared', async () => {
        const { a } = await setup();
        let count = 0;
        let stop!: () => void;
        const stopped = new Promise<void>((resolve) => {
          stop = resolve;
        });
        const handle = a.clock.setInterval(() => {
          count++;
          if (count === 3) {
            a.clock.clearTimeout(handle);
            stop();
          }
        }, 5);
        await until(stopped, 'three ticks');
        await wait(a, 25);
        expect(count).toBe(3);
      });

      it('sleep resolves after its time; an abort rejects it with AbortError', async () => {
        const { a } = await setup();
        const started = a.clock.now();
        await wait(a, 15);
        expect(a.clock.now() - started).toBeGreaterThanOrEqual(14);
        const controller = new AbortController();
        const sleeping = a.clock.sleep(60_000, controller.signal);
        controller.abort();
        expectCode(await rejection(sleeping, 'aborted sleep'), 'ERR_ABORTED');
        const aborted = AbortSignal.abort();
        expectCode(await rejection(a.clock.sleep(1, aborted), 'pre-aborted sleep'), 'ERR_ABORTED');
      });

      it('now() never goes backwards', async () => {
        const { a } = await setup();
        let last = a.clock.now();
        for (let i = 0; i < 5; i++) {
          await wait(a, 1);
          const now = a.clock.now();
          expect(now).toBeGreaterThanOrEqual(last);
          last = now;
        }
      });
    });
  });
}

/** Deterministic bytes: byte i of the stream is a function of (start + i), chunked or not. */
function pattern(length: number, start: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const x = start + i;
    out[i] = (x * 31 + (x >>> 8) * 7 + (x >>> 16)) & 0xff;
  }
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function utf8(value: string): Uint8Array {
  return encoder.encode(value);
}

function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
