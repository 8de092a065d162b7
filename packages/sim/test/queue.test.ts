import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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

  it('rebuilds the heap once cancelled entries dominate, keeping the order', () => {
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
