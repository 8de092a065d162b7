import { type Address, type Connection, isP2PError } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { latency, type SimHost, Simulation, SimulationError } from '../src/index.js';

/** Binds a recorder on `host`: every datagram's text with its arrival time. */
async function recorder(host: SimHost, port = 5000) {
  const got: { t: number; text: string; from: Address }[] = [];
  const socket = await host.net.bind({ port }, (data, from) =>
    got.push({ t: host.clock.now(), text: new TextDecoder().decode(data), from }),
  );
  return { socket, got };
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** Dials and returns how it ended: 'connected', or the error code, at which virtual time. */
async function dialOutcome(sim: Simulation, from: SimHost, to: Address, timeoutMs = 5000) {
  let outcome: { at: number; result: string } | undefined;
  sim.at(sim.now, () =>
    from.net.dial(to, { timeoutMs }).then(
      (connection: Connection) => {
        outcome = { at: sim.now, result: 'connected' };
        connection.destroy();
      },
      (error: unknown) => {
        outcome = {
          at: sim.now,
          result: isP2PError(error) ? error.code : String(error),
        };
      },
    ),
  );
  await sim.run();
  return outcome;
}

describe('firewalled hosts', () => {
  it('a dial to a firewalled host is refused after a round trip; its listener sees nothing', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(20) });
    const open = sim.addHost();
    const inside = sim.addHost({ firewalled: true });
    expect(inside.firewalled).toBe(true);
    expect(open.firewalled).toBe(false);
    let accepted = 0;
    const listener = await inside.net.listen({ port: 6346 }, () => accepted++);
    const outcome = await dialOutcome(sim, open, listener.address);
    expect(outcome).toEqual({ at: 40, result: 'ERR_CONNECTION_REFUSED' });
    expect(accepted).toBe(0);
  });

  it("'drop': the SYN vanishes and the dial times out", async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(20) });
    const open = sim.addHost();
    const inside = sim.addHost({ firewalled: 'drop' });
    await inside.net.listen({ port: 6346 }, () => {});
    const outcome = await dialOutcome(sim, open, { host: inside.host, port: 6346 }, 3000);
    expect(outcome).toEqual({ at: 3000, result: 'ERR_TIMEOUT' });
  });

  it('a firewalled host dials out and is answered on that connection', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(20) });
    const open = sim.addHost();
    const inside = sim.addHost({ firewalled: true });
    await open.net.listen({ port: 80 }, (connection) => {
      connection.on('data', (chunk) => connection.write(chunk));
    });
    const echoed: string[] = [];
    sim.at(0, async () => {
      const connection = await inside.net.dial({ host: open.host, port: 80 });
      connection.on('data', (chunk) => echoed.push(new TextDecoder().decode(chunk)));
      connection.write(bytes('GIV 0:abc/file'));
    });
    await sim.run();
    expect(echoed).toEqual(['GIV 0:abc/file']);
  });

  it('two firewalled hosts cannot connect to each other (the case Push cannot save)', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const [x, y] = sim.addHosts(2, { firewalled: true });
    await y!.net.listen({ port: 6346 }, () => {});
    const outcome = await dialOutcome(sim, x!, { host: y!.host, port: 6346 });
    expect(outcome?.result).toBe('ERR_CONNECTION_REFUSED');
  });

  it('a firewalled host reaches itself (loopback is inside the firewall)', async () => {
    const sim = new Simulation({ seed: 1 });
    const inside = sim.addHost({ firewalled: true });
    await inside.net.listen({ port: 6346 }, () => {});
    expect((await dialOutcome(sim, inside, { host: inside.host, port: 6346 }))?.result).toBe(
      'connected',
    );
    const { got } = await recorder(inside);
    const out = await inside.net.bind({}, () => {});
    out.send(bytes('self'), { host: inside.host, port: 5000 });
    await sim.run();
    expect(got.map((g) => g.text)).toEqual(['self']);
  });

  it('datagrams: unsolicited ones are dropped and counted; replies within the mapping lifetime pass', async () => {
    const sim = new Simulation({
      seed: 1,
      latency: latency.constant(10),
      firewallUdpTimeoutMs: 30_000,
    });
    const open = sim.addHost();
    const inside = sim.addHost({ firewalled: true });
    const { socket: mine, got } = await recorder(inside, 6346);
    const peer = await open.net.bind({ port: 7000 }, () => {});
    const to = mine.address;
    sim.at(0, () => peer.send(bytes('unsolicited'), to));
    sim.at(100, () => mine.send(bytes('ping'), peer.address)); // opens (peer, 7000) until 30,100
    sim.at(200, () => peer.send(bytes('reply 1'), to));
    sim.at(30_090, () => peer.send(bytes('reply 2'), to)); // arrives at 30,100: still open
    sim.at(30_100, () => peer.send(bytes('too late'), to)); // arrives at 30,110: expired
    sim.at(40_000, () => mine.send(bytes('ping again'), peer.address)); // re-opens
    sim.at(40_050, () => peer.send(bytes('reply 3'), to));
    await sim.run();
    expect(got.map((g) => [g.t, g.text])).toEqual([
      [210, 'reply 1'],
      [30_100, 'reply 2'],
      [40_060, 'reply 3'],
    ]);
    expect(sim.metrics.drops.firewall).toBe(2);
  });

  it('filtering is by address and port, per socket', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const [open, other] = sim.addHosts(2);
    const inside = sim.addHost({ firewalled: true });
    const { socket: mine, got } = await recorder(inside, 6346);
    const { socket: second, got: gotSecond } = await recorder(inside, 6347);
    const peer = await open!.net.bind({ port: 7000 }, () => {});
    const samePeerOtherPort = await open!.net.bind({ port: 7001 }, () => {});
    const otherHostSamePort = await other!.net.bind({ port: 7000 }, () => {});
    sim.at(0, () => mine.send(bytes('ping'), peer.address));
    sim.at(50, () => {
      peer.send(bytes('reply'), mine.address);
      samePeerOtherPort.send(bytes('other port'), mine.address);
      otherHostSamePort.send(bytes('other host'), mine.address);
      peer.send(bytes('other socket'), second.address);
    });
    await sim.run();
    expect(got.map((g) => g.text)).toEqual(['reply']);
    expect(gotSecond).toEqual([]);
    expect(sim.metrics.drops.firewall).toBe(3);
  });

  it('a restart keeps the firewall; a bad option value is refused', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const open = sim.addHost();
    const inside = sim.addHost({ firewalled: 'refuse' }).restart();
    expect(inside.firewalled).toBe(true);
    await inside.net.listen({ port: 6346 }, () => {});
    expect((await dialOutcome(sim, open, { host: inside.host, port: 6346 }))?.result).toBe(
      'ERR_CONNECTION_REFUSED',
    );
    expect(() => sim.addHost({ firewalled: 'yes' as never })).toThrow(SimulationError);
    expect(() => new Simulation({ seed: 1, firewallUdpTimeoutMs: 0 })).toThrow(SimulationError);
  });

  it('open hosts are not affected: the same run with and without an idle firewalled host hashes alike up to it', async () => {
    // A firewalled host that never talks changes nothing for the others.
    async function run(withFirewalled: boolean): Promise<string[]> {
      const sim = new Simulation({ seed: 5, latency: latency.uniform(5, 50), loss: 0.1 });
      const [a, b] = sim.addHosts(2);
      if (withFirewalled) sim.addHost({ firewalled: true });
      const { got } = await recorder(b!);
      const out = await a!.net.bind({}, () => {});
      sim.at(0, () => {
        for (let i = 0; i < 100; i++) out.send(bytes(String(i)), { host: b!.host, port: 5000 });
      });
      await sim.run();
      return got.map((g) => `${g.t}:${g.text}`);
    }
    expect(await run(true)).toEqual(await run(false));
  });
});
