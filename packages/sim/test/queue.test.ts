import { createRandom } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seedFromEnv } from '../src/index.js';
import { EventQueue } from '../src/queue.js';

const K = 5; // any kind above the queue's own

describe('EventQueue', () => {
  it('pops in (time, scheduling order) order, skipping cancelled events: model test', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ pop: fc.constant(true) }),
      fc.record({ cancel: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const q = new EventQueue();
        // The model: a list of live events [time, seq, id]; pops take the least (time, seq).
        let model: { time: number; seq: number; id: number; slot: number }[] = [];
        let seq = 0;
        let id = 0;
        const ids = new Map<number, number>(); // slot -> id
        for (const o of ops) {
          if ('push' in o) {
            const slot = q.alloc(K);
            q.n[slot] = id;
            ids.set(slot, id);
            q.push(o.push, slot);
            model.push({ time: o.push, seq: seq++, id: id++, slot });
          } else if ('pop' in o) {
            const t = q.peekTime();
            if (model.length === 0) {
              expect(t).toBe(Number.POSITIVE_INFINITY);
              continue;
            }
            model.sort((x, y) => x.time - y.time || x.seq - y.seq);
            const expected = model.shift()!;
            expect(t).toBe(expected.time);
            const slot = q.pop();
            expect(q.n[slot]!).toBe(expected.id);
            q.release(slot);
          } else if (model.length > 0) {
            const victim = model[o.cancel % model.length]!;
            q.cancel(victim.slot);
            model = model.filter((e) => e !== victim);
          }
          expect(q.live).toBe(model.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('at scale, as the simulator uses it (time moves forward), every delay mix: model test', () => {
    // 500 seeded random scripts (fast-check's shrinking is too slow at this size): bursts of
    // pushes with delays from mixes that stress the ladder (zero-delay callbacks, sub-ms
    // latencies, whole-ms ones, timeouts and intervals, rare far-future events), pops that
    // drain rungs and Bottom, and cancels of random pending events (timers answered).
    const random = createRandom(seedFromEnv(20_050));
    const delays = [
      () => 0,
      () => random.float(),
      () => random.float() * 100,
      () => random.int(101),
      () => random.pick([500, 1000, 30_000]),
      () => random.float() * 3_600_000,
    ];
    for (let run = 0; run < 500; run++) {
      const q = new EventQueue();
      const live = new Map<number, { time: number; seq: number }>(); // id -> key
      const slotOf = new Map<number, number>();
      const pending: number[] = [];
      let seq = 0;
      let now = 0;
      let last = { time: -1, seq: -1 };
      // Plain checks in the loop (expect() per pop would dominate the run time).
      const popOne = (): boolean => {
        const t = q.peekTime();
        if (t === Number.POSITIVE_INFINITY) {
          if (live.size !== 0) throw new Error(`run ${run}: empty with ${live.size} live`);
          return false;
        }
        const slot = q.pop();
        const id = q.n[slot]!;
        const key = live.get(id);
        if (key === undefined || t !== key.time) throw new Error(`run ${run}: ${id} not live`);
        if (!(key.time > last.time || (key.time === last.time && key.seq > last.seq))) {
          throw new Error(`run ${run}: ${JSON.stringify(key)} after ${JSON.stringify(last)}`);
        }
        last = key;
        now = t;
        live.delete(id);
        slotOf.delete(id);
        q.release(slot);
        return true;
      };
      const steps = 20 + random.int(100);
      for (let step = 0; step < steps; step++) {
        const what = random.int(12);
        if (what < 5) {
          const delay = random.pick(delays)();
          const burst = 1 + random.int(200);
          for (let i = 0; i < burst; i++) {
            const id = seq;
            const slot = q.alloc(K);
            q.n[slot] = id;
            q.push(now + delay, slot);
            live.set(id, { time: now + delay, seq: seq++ });
            slotOf.set(id, slot);
            pending.push(id);
          }
        } else if (what < 11) {
          const pops = 1 + random.int(300);
          for (let i = 0; i < pops && popOne(); i++);
        } else {
          const count = 1 + random.int(300);
          for (let i = 0; i < count && pending.length > 0; i++) {
            const at = random.int(pending.length);
            const id = pending[at]!;
            pending[at] = pending[pending.length - 1]!;
            pending.pop();
            const slot = slotOf.get(id);
            if (slot === undefined) continue; // popped already
            q.cancel(slot);
            live.delete(id);
            slotOf.delete(id);
          }
        }
        if (q.live !== live.size) throw new Error(`run ${run}: live ${q.live} != ${live.size}`);
      }
      while (popOne());
      expect(q.live).toBe(0);
    }
  }, 60_000);

  it('rebuilds the queue once cancelled entries dominate, keeping the order', () => {
    const q = new EventQueue();
    const slots: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const slot = q.alloc(K);
      q.n[slot] = i;
      q.push(20_000 - i, slot); // reverse time order
      slots.push(slot);
    }
    // Cancel three events in four: dead entries then outnumber live ones.
    for (let i = 0; i < 20_000; i++) if (i % 4 !== 0) q.cancel(slots[i]!);
    expect(q.size).toBeLessThan(20_000); // a rebuild dropped dead entries
    expect(q.live).toBe(5_000);
    let last = -1;
    let count = 0;
    while (q.peekTime() !== Number.POSITIVE_INFINITY) {
      const t = q.peekTime();
      expect(t).toBeGreaterThan(last);
      last = t;
      const slot = q.pop();
      expect(q.n[slot]! % 4).toBe(0);
      q.release(slot);
      count++;
    }
    expect(count).toBe(5_000);
  });

  it('recycles slots and bumps their generation, so stale handles are recognisable', () => {
    const q = new EventQueue();
    const a = q.alloc(K);
    const gen = q.gen[a]!;
    q.push(1, a);
    q.peekTime();
    q.release(q.pop());
    const b = q.alloc(K);
    expect(b).toBe(a);
    expect(q.gen[b]!).not.toBe(gen);
  });
});
