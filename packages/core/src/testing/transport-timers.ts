import { describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { TransportSuiteContext } from './transport-context.js';

/** The runtime clock as every transport harness must drive it. */
export function timerTests(ctx: TransportSuiteContext): void {
  const { setup, until, expectCode, rejection } = ctx;
  describe('timers', () => {
    /** Time passes: virtual networks advance it, real ones wait for it. */
    async function wait(runtime: Runtime, ms: number): Promise<void> {
      await until(runtime.clock.sleep(ms), `sleep ${ms}`);
    }

    it('setTimeout fires once, in due order, ties in creation order', async () => {
      const { a } = await setup();
      const fired: string[] = [];
      const started = a.clock.now();
      let firedAt = 0;
      a.clock.setTimeout(() => fired.push('30'), 30);
      a.clock.setTimeout(() => {
        fired.push('10a');
        firedAt = a.clock.now();
      }, 10);
      a.clock.setTimeout(() => fired.push('20'), 20);
      a.clock.setTimeout(() => fired.push('10b'), 10);
      await wait(a, 45);
      expect(fired).toEqual(['10a', '10b', '20', '30']);
      // Node's timers may fire up to 1 ms early against performance.now().
      expect(firedAt - started).toBeGreaterThanOrEqual(9);
    });

    it('clearTimeout cancels; clearing twice or undefined is harmless', async () => {
      const { a } = await setup();
      let fired = 0;
      const handle = a.clock.setTimeout(() => fired++, 5);
      a.clock.clearTimeout(handle);
      a.clock.clearTimeout(handle);
      a.clock.clearTimeout(undefined);
      await wait(a, 20);
      expect(fired).toBe(0);
    });

    it('setInterval repeats until cleared', async () => {
      const { a } = await setup();
      let count = 0;
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      const handle = a.clock.setInterval(() => {
        count++;
        if (count === 3) {
          a.clock.clearTimeout(handle);
          stop();
        }
      }, 5);
      await until(stopped, 'three ticks');
      await wait(a, 25);
      expect(count).toBe(3);
    });

    it('sleep resolves after its time; an abort rejects it with AbortError', async () => {
      const { a } = await setup();
      const started = a.clock.now();
      await wait(a, 15);
      expect(a.clock.now() - started).toBeGreaterThanOrEqual(14);
      const controller = new AbortController();
      const sleeping = a.clock.sleep(60_000, controller.signal);
      controller.abort();
      expectCode(await rejection(sleeping, 'aborted sleep'), 'ERR_ABORTED');
      const aborted = AbortSignal.abort();
      expectCode(await rejection(a.clock.sleep(1, aborted), 'pre-aborted sleep'), 'ERR_ABORTED');
    });

    it('now() never goes backwards', async () => {
      const { a } = await setup();
      let last = a.clock.now();
      for (let i = 0; i < 5; i++) {
        await wait(a, 1);
        const now = a.clock.now();
        expect(now).toBeGreaterThanOrEqual(last);
        last = now;
      }
    });
  });
}
