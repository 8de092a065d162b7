import { createDatagramRpc } from '@p2pkit/core';
import { expect, it } from 'vitest';
import { latency, Simulation } from '../src/index.js';

// The README example, kept honest: two hosts exchange RPCs under latency and loss.
it('README example: RPCs under latency and loss', async () => {
  const sim = new Simulation({ seed: 42, latency: latency.uniform(20, 80), loss: 0.05 });
  const [alice, bob] = sim.addHosts(2);

  const server = await createDatagramRpc({
    runtime: bob!,
    self: { id: new Uint8Array([2]) },
    port: 7000,
  });
  server.handle(1, ({ body }) => body.map((x) => x + 1));
  const client = await createDatagramRpc({
    runtime: alice!,
    self: { id: new Uint8Array([1]) },
    timeoutMs: 300,
    retries: 5,
  });

  const rtts: number[] = [];
  sim.at(0, async () => {
    for (let i = 0; i < 100; i++) {
      const started = alice!.clock.now();
      const { body } = await client.request(server.address, 1, new Uint8Array([i]));
      if (body[0] !== i + 1) throw new Error(`bad reply ${body[0]} to ${i}`);
      rtts.push(alice!.clock.now() - started);
    }
  });
  await sim.run({ until: 600_000 });

  expect(rtts).toHaveLength(100);
  expect(Math.min(...rtts)).toBeGreaterThanOrEqual(40); // two one-way trips of >= 20 ms
  expect(Math.max(...rtts)).toBeGreaterThan(300); // some were lost and retransmitted
  expect(sim.metrics.drops.loss).toBeGreaterThan(0);
  expect(client.stats.retransmissions).toBeGreaterThan(0);
});
