// Transport harnesses shared by the compliance suites (transport, http) run in core's tests.
import { setImmediate as turn } from 'node:timers/promises';
import { createMemoryNetwork } from '../src/index.js';
import { realRuntime } from '../src/node/index.js';
import type { TransportHarness } from '../src/testing/index.js';
import type { TcpBlackhole } from './blackhole.js';

/** Three hosts on a memory network with a manual clock, and a black-holed address. */
export async function memoryHarness(): Promise<TransportHarness> {
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
}

// Linux routes all of 127.0.0.0/8 to loopback: two hosts make address checks meaningful.
const linux = process.platform === 'linux';
export const secondHost = linux ? '127.0.0.2' : '127.0.0.1';

/** Two real runtimes on 127.0.0.1 and 127.0.0.2 (real TCP/UDP), with an optional black hole. */
export async function realHarness(blackhole?: Promise<TcpBlackhole>): Promise<TransportHarness> {
  const runtimes = [realRuntime({ host: '127.0.0.1' }), realRuntime({ host: secondHost })];
  return {
    runtimes,
    settle: async () => {
      await turn();
    },
    ...(blackhole ? { blackhole: (await blackhole).address } : {}),
    close: async () => {
      await Promise.all(runtimes.map((runtime) => runtime.close()));
    },
  };
}
