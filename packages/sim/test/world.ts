import type { Address, Seed, TimerHandle } from '@p2pkit/core';
import { churn, latency, type SimHost, Simulation } from '../src/index.js';

export interface WorldRun {
  hash: string;
  events: number;
  /** What the application saw: answered, timed-out and echoed counts, dial failures. */
  observed: { answered: number; timedOut: number; echoed: number; dialFailed: number };
  joins: number;
}

const PING = 1;
const PONG = 2;

/**
 * A busy world on the simulator's own API, at any size: every host pings a random peer about
 * once a second with a request/response timeout (an RPC's shape: a timer set per request and
 * cleared by the answer), one ping in fifty also streams 4 KiB to the peer and reads the echo,
 * hosts arrive and leave (churn), a tenth of the hosts sit behind firewalls, and the network
 * has placement latency with jitter, loss and duplication, and a partition that heals. Used by
 * the determinism tests: one seed must give one history (trace hash), at 10^4 hosts too.
 */
export async function busyWorld(seed: Seed, hosts: number, untilMs: number): Promise<WorldRun> {
  const sim = new Simulation({
    seed,
    latency: latency.jitter(latency.coordinates(), 3),
    loss: 0.01,
    duplicate: 0.002,
    traceHash: 'fast',
  });
  const observed = { answered: 0, timedOut: 0, echoed: 0, dialFailed: 0 };
  const live: SimHost[] = [];

  const start = async (host: SimHost) => {
    live.push(host);
    const pending = new Map<number, TimerHandle>();
    let nextId = 0;
    const socket = await host.net.bind({ port: 4000 }, (data, from) => {
      const id = data[1]! | (data[2]! << 8);
      if (data[0] === PING) socket.send(new Uint8Array([PONG, data[1]!, data[2]!]), from);
      else {
        const timer = pending.get(id);
        if (timer === undefined) return; // late or duplicated
        pending.delete(id);
        host.clock.clearTimeout(timer);
        observed.answered++;
      }
    });
    await host.net.listen({ port: 5000 }, (connection) => {
      connection.on('data', (chunk) => connection.write(chunk));
      connection.once('end', () => connection.end());
    });
    const random = host.random;
    host.clock.setInterval(() => {
      const peer = live[random.int(live.length)]!;
      if (!peer.alive || peer === host) return;
      const to: Address = { host: peer.host, port: 4000 };
      const id = nextId++ & 0xffff;
      socket.send(new Uint8Array([PING, id & 255, id >> 8]), to);
      pending.set(
        id,
        host.clock.setTimeout(() => {
          pending.delete(id);
          observed.timedOut++;
        }, 500),
      );
      if (random.chance(0.02)) {
        host.net.dial({ host: peer.host, port: 5000 }, { timeoutMs: 2000 }).then(
          (connection) => {
            let got = 0;
            connection.on('data', (chunk) => {
              got += chunk.length;
            });
            connection.once('end', () => {
              if (got === 4096) observed.echoed++;
            });
            connection.write(random.bytes(4096));
            connection.end();
          },
          () => observed.dialFailed++,
        );
      }
    }, 900 + random.int(200));
  };

  for (const host of sim.addHosts(hosts, { upload: 1_000_000 })) await start(host);
  for (let i = 0; i < hosts; i += 10) sim.hosts[i]!.crash();
  for (let i = 0; i < hosts / 10; i++) await start(sim.addHost({ firewalled: true }));
  const arrivals = churn(sim, {
    arrivalsPerSecond: hosts / 100,
    session: { kind: 'exponential', meanMs: 60_000 },
    join: (host) => start(host),
  });
  for (const host of sim.hosts) if (host.alive) arrivals.attach(host);
  const third = Math.floor(sim.hosts.length / 3);
  sim.at(untilMs / 3, () => sim.partition(sim.hosts.slice(0, third)));
  sim.at(untilMs / 2, () => sim.heal());
  await sim.run({ until: untilMs });
  return { hash: sim.traceHash, events: sim.eventCount, observed, joins: arrivals.stats.joins };
}
