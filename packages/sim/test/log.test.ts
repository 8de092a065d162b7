import { expect, it } from 'vitest';
import { type SimLogRecord, Simulation } from '../src/index.js';

it("host loggers are off by default, and when enabled carry virtual time and the host's address", async () => {
  const records: SimLogRecord[] = [];
  const sim = new Simulation({ seed: 1, debug: 'p2pkit:chord*', logSink: (r) => records.push(r) });
  const [a, b] = sim.addHosts(2);
  const chord = a!.log.extend('chord');
  const other = b!.log.extend('gnutella');
  expect(chord.enabled).toBe(true);
  expect(other.enabled).toBe(false);
  a!.clock.setTimeout(() => chord('stabilized %d', 3), 1500);
  b!.clock.setTimeout(() => other('never printed'), 10);
  await sim.run();
  expect(records).toEqual([
    {
      namespace: 'p2pkit:chord',
      message: 'stabilized %d',
      args: [3],
      time: 1500,
      host: '10.0.0.1',
    },
  ]);
  const quiet = new Simulation({ seed: 1 });
  expect(quiet.addHost().log.enabled).toBe(false);
});
