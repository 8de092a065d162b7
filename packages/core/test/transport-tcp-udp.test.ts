import { setImmediate as turn } from 'node:timers/promises';
import { realRuntime } from '../src/node/index.js';
import { transportComplianceSuite } from '../src/testing/index.js';

// Linux routes all of 127.0.0.0/8 to loopback: two hosts make address checks meaningful.
const secondHost = process.platform === 'linux' ? '127.0.0.2' : '127.0.0.1';

transportComplianceSuite('tcp+udp (127.0.0.1)', async () => {
  const runtimes = [realRuntime({ host: '127.0.0.1' }), realRuntime({ host: secondHost })];
  return {
    runtimes,
    settle: async () => {
      await turn();
    },
    close: async () => {
      await Promise.all(runtimes.map((runtime) => runtime.close()));
    },
  };
});
