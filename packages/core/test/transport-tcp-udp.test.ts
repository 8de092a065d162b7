import { afterAll } from 'vitest';
import { transportComplianceSuite } from '../src/testing/index.js';
import { startTcpBlackhole, type TcpBlackhole } from './blackhole.js';
import { realHarness } from './harnesses.js';

// One black hole (a listener with a full accept queue) shared by the tests that need one;
// Linux only (it relies on the kernel's accept-queue behaviour).
let blackhole: Promise<TcpBlackhole> | undefined;
afterAll(async () => {
  (await blackhole)?.close();
});

transportComplianceSuite('tcp+udp (127.0.0.1)', () => {
  if (process.platform === 'linux') blackhole ??= startTcpBlackhole();
  return realHarness(blackhole);
});
