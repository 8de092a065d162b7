import { describe, expect, it } from 'vitest';
import { createManualClock, isP2PError } from '../src/index.js';

describe('createManualClock', () => {
  it('starts where told and only moves on advance', () => {
    const clock = createManualClock(1000);
    expect(clock.now()).toBe(1000);
    expect(clock.advance(250)).toBe(0);
    expect(clock.now()).toBe(1250);
    clock.advanceTo(1200);
    expect(clock.now()).toBe(1250);
  });

  it('runs due timers in time order, ties in creation order, at their due time', () => {
    const clock = createManualClock();
    const fired: [string, number][] = [];
    const at = (label: string) => () => fired.push([label, clock.now()]);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a1'), 10);
    clock.setTimeout(at('b'), 20);
    clock.setTimeout(at('a2'), 10);
    clock.setTimeout(at('late'), 31);
    expect(clock.advance(30)).toBe(4);
    expect(fired).toEqual([
      ['a1', 10],
      ['a2', 10],
      ['b', 20],
      ['c', 30],
    ]);
    expect(clock.now()).toBe(30);
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(31);
  });

  it('runs timers scheduled by callbacks when they fall due within the same advance', () => {
    const clock = createManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
      clock.setTimeout(() => fired.push(clock.now()), 0);
    }, 10);
    clock.advance(20);
    expect(fired).toEqual([10, 10, 15]);
  });

  it('intervals repeat; clearing one inside its callback stops it', () => {
    const clock = createManualClock();
    let count = 0;
    const handle = clock.setInterval(() => {
      count++;
      if (count === 4) clock.clearTimeout(handle);
    }, 10);
    clock.advance(100);
    expect(count).toBe(4);
    expect(clock.pending).toBe(0);
  });

  it('a zero interval repeats every millisecond rather than spinning', () => {
    const clock = createManualClock();
    let count = 0;
    clock.setInterval(() => count++, 0);
    clock.advance(10);
    expect(count).toBe(10);
  });

  it('clearTimeout cancels; unknown, undefined and repeated clears are ignored', () => {
    const clock = createManualClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 5);
    clock.clearTimeout(handle);
    clock.clearTimeout(handle);
    clock.clearTimeout(undefined);
    expect(clock.pending).toBe(0);
    clock.advance(10);
    expect(fired).toBe(false);
  });

  it('negative and NaN delays mean 0', () => {
    const clock = createManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(1), -5);
    clock.setTimeout(() => fired.push(2), Number.NaN);
    clock.advance(0);
    expect(fired).toEqual([1, 2]);
  });

  it('runAll jumps from timer to timer and refuses to run an endless interval forever', () => {
    const clock = createManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 500);
    clock.setTimeout(() => fired.push(clock.now()), 100);
    expect(clock.runAll()).toBe(2);
    expect(fired).toEqual([100, 500]);
    clock.setInterval(() => {}, 1);
    expect(() => clock.runAll(50)).toThrow(/more than 50/);
  });

  it('sleep resolves on advance and rejects with AbortError on abort, leaving no timer', async () => {
    const clock = createManualClock();
    let slept = false;
    const sleeping = clock.sleep(100).then(() => {
      slept = true;
    });
    clock.advance(99);
    await Promise.resolve();
    expect(slept).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(slept).toBe(true);

    const controller = new AbortController();
    const aborted = clock.sleep(100, controller.signal);
    expect(clock.pending).toBe(1);
    controller.abort();
    await expect(aborted).rejects.toSatisfy((error) => isP2PError(error, 'ERR_ABORTED'));
    expect(clock.pending).toBe(0);
    await expect(clock.sleep(1, AbortSignal.abort())).rejects.toSatisfy((error) =>
      isP2PError(error, 'ERR_ABORTED'),
    );
  });

  it('many sleeps on one signal add and remove their abort listeners (no build-up)', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    for (let i = 0; i < 1000; i++) {
      const sleeping = clock.sleep(1, controller.signal);
      clock.advance(1);
      await sleeping;
    }
    // Node warns (MaxListenersExceededWarning) past 10 listeners on one signal; none remain.
    const { getEventListeners } = await import('node:events');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
