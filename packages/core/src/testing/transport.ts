import { describe } from 'vitest';
import { harnessScope } from './drive.js';
import { transportContext } from './transport-context.js';
import { datagramTests } from './transport-datagrams.js';
import { firewallTests } from './transport-firewall.js';
import type { TransportHarness, TransportSuiteOptions } from './transport-harness.js';
import { streamTests } from './transport-streams.js';
import { timerTests } from './transport-timers.js';

export type { TransportHarness, TransportSuiteOptions } from './transport-harness.js';

/**
 * The transport compliance suite: every Network implementation (TCP/UDP, memory, simulator)
 * runs these same tests from a short test file:
 *
 * ```ts
 * transportComplianceSuite('memory', async () => { ...; return { runtimes, settle, advance, close } });
 * ```
 */
export function transportComplianceSuite(
  name: string,
  factory: () => Promise<TransportHarness>,
  options: TransportSuiteOptions = {},
): void {
  const largeWriteBytes = options.largeWriteBytes ?? 4 * 1024 * 1024;
  const virtualWaitMs = options.virtualWaitMs ?? 120_000;
  const virtualStepMs = options.virtualStepMs ?? 5;
  const quietMs = options.quietMs ?? 1000;

  describe(`transport compliance: ${name}`, () => {
    const ctx = transportContext(harnessScope(factory, virtualStepMs, virtualWaitMs), {
      largeWriteBytes,
      quietMs,
    });
    if (options.streams !== false) streamTests(ctx);
    if (options.datagrams !== false) datagramTests(ctx);
    if (options.firewall === true) firewallTests(ctx);
    timerTests(ctx);
  });
}
