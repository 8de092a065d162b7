import { describe, expect, it } from 'vitest';
import { equalBytes } from '../codec/bytes.js';
import type { Address } from '../runtime.js';
import { pattern, type TransportSuiteContext, text, utf8 } from './transport-context.js';

/** The datagram half of the transport compliance suite: bind, send, reply, close. */
export function datagramTests(ctx: TransportSuiteContext): void {
  const { setup, until, bind, expectCode, rejection } = ctx;
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
