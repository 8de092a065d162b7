import { describe, expect, it } from 'vitest';
import { equalBytes } from '../codec/bytes.js';
import { isP2PError } from '../errors.js';
import type { Address, Runtime } from '../runtime.js';
import { pattern, type TransportSuiteContext, text, utf8 } from './transport-context.js';

/** A firewalled host: its own dials work both ways, nothing unsolicited reaches it. */
export function firewallTests(ctx: TransportSuiteContext): void {
  const { setup, until, cleanups, collect, connectPair, bind, rejection, quietMs } = ctx;
  describe('firewalled host', () => {
    async function setupFirewalled(): Promise<{ a: Runtime; f: Runtime }> {
      const { a, h } = await setup();
      expect(h.firewalled, 'firewall: true needs harness.firewalled').toBeDefined();
      return { a, f: h.firewalled! };
    }

    /** Lets `ms` pass (virtual time when the network has it), so what is coming arrives. */
    async function quiet(ms: number): Promise<void> {
      const h = ctx.harness;
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
