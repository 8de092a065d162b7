import { setImmediate as turn } from 'node:timers/promises';
import { afterAll } from 'vitest';
import { realRuntime } from '../src/node/index.js';
import { transportComplianceSuite } from '../src/testing/index.js';
import { startTcpBlackhole, type TcpBlackhole } from './blackhole.js';

// Linux routes all of 127.0.0.0/8 to loopback: two hosts make address checks meaningful.
const linux = process.platform === 'linux';
const secondHost = linux ? '127.0.0.2' : '127.0.0.1';

// One black hole (a listener with a full accept queue) shared by the tests that need one.
let blackhole: Promise<TcpBlackhole> | undefined;
afterAll(async () => {
  (await blackhole)?.close();
});

transportComplianceSuite('tcp+udp (127.0.0.1)', async () => {
  const runtimes = [realRuntime({ host: '127.0.0.1' }), realRuntime({ host: secondHost })];
  if (linux) blackhole ??= startTcpBlackhole();
  return {
    runtimes,
    settle: async () => {
      await turn();
    },
    ...(linux ? { blackhole: (await blackhole!).address } : {}),
    close: async () => {
      await Promise.all(runtimes.map((runtime) => runtime.close()));
    },
  };
});
