import { describe, expect, it } from 'vitest';
import { concatBytes, equalBytes } from '../codec/bytes.js';
import type { Connection } from '../runtime.js';
import { pattern, type TransportSuiteContext, text, utf8 } from './transport-context.js';

/** The stream half of the transport compliance suite: listen, dial, bytes in order, end, destroy. */
export function streamTests(ctx: TransportSuiteContext): void {
  const {
    setup,
    until,
    cleanups,
    next,
    collect,
    connectPair,
    expectCode,
    rejection,
    largeWriteBytes,
  } = ctx;
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
      expect(equalBytes(await until(echoed, 'echo'), concatBytes(sent))).toBe(true);
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
        if (!full && written % (1024 * 1024) === 0) await ctx.harness.settle();
      }
      expect(full).toBe(true);
      expect(dialed.writableLength).toBeGreaterThan(0);
      await ctx.harness.settle();
      expect(chunksWhilePaused).toBe(0);
      const drained = next(dialed, 'drain');
      const ended = next(accepted, 'end');
      resumed = true;
      accepted.resume();
      await until(drained, 'drain after resume');
      dialed.end();
      await until(ended, 'end');
      const got = concatBytes(chunks);
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
      const timedOut = await rejection(b.net.dial(h.blackhole, { timeoutMs: 200 }), 'dial timeout');
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
