import { setImmediate as turn } from 'node:timers/promises';
import { createMemoryNetwork } from '../src/index.js';
import { transportComplianceSuite } from '../src/testing/index.js';

transportComplianceSuite('memory', async () => {
  const hub = createMemoryNetwork();
  hub.blackhole('10.9.9.9');
  const runtimes = [hub.runtime('10.0.0.1'), hub.runtime('10.0.0.2'), hub.runtime('10.0.0.3')];
  // Deliveries are microtasks; one macrotask turn runs every chain already started.
  const settle = async () => {
    await turn();
  };
  return {
    runtimes,
    settle,
    advance: async (ms: number) => {
      hub.clock.advance(ms);
      await settle();
    },
    blackhole: { host: '10.9.9.9', port: 4000 },
    close: async () => {},
  };
});
