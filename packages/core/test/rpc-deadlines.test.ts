import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from '../src/rpc/deadlines.js';

interface Item {
  id: number;
  deadline: number;
  settled: boolean;
}

describe('DeadlineQueue', () => {
  it('pops unsettled entries in deadline order, matching a sorted-list model', () => {
    // Operations: push with a deadline mostly >= the last (FIFO path), sometimes earlier
    // (heap path); settle a random live entry; pop everything due at a random time.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), delta: fc.integer({ min: -50, max: 100 }) }),
      fc.record({ kind: fc.constant('settle' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('pop' as const), advance: fc.integer({ min: 0, max: 120 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const queue = new DeadlineQueue<Item>();
        let model: Item[] = [];
        let now = 0;
        let last = 0;
        let nextId = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const deadline = Math.max(now, last + o.delta);
            last = Math.max(last, deadline);
            const item = { id: nextId++, deadline, settled: false };
            queue.push(item);
            model.push(item);
          } else if (o.kind === 'settle') {
            const live = model.filter((i) => !i.settled);
            if (live.length > 0) live[o.pick % live.length]!.settled = true;
            queue.trim();
          } else {
            now += o.advance;
            const popped: number[] = [];
            for (let item = queue.popExpired(now); item; item = queue.popExpired(now)) {
              popped.push(item.id);
            }
            const due = model
              .filter((i) => !i.settled && i.deadline <= now)
              .sort((a, b) => a.deadline - b.deadline);
            // Equal deadlines may come out in any order between FIFO and heap; compare deadlines.
            expect(popped.map((id) => model.find((i) => i.id === id)!.deadline)).toEqual(
              due.map((i) => i.deadline),
            );
            expect(new Set(popped)).toEqual(new Set(due.map((i) => i.id)));
            model = model.filter((i) => !popped.includes(i.id));
          }
          const live = model.filter((i) => !i.settled);
          const earliest = Math.min(...live.map((i) => i.deadline));
          expect(queue.peek()?.deadline ?? Number.POSITIVE_INFINITY).toBe(earliest);
        }
      }),
    );
  });

  it('stays small when entries settle in order (as answered requests do)', () => {
    const queue = new DeadlineQueue<Item>();
    for (let i = 0; i < 100_000; i++) {
      const item = { id: i, deadline: i, settled: false };
      queue.push(item);
      item.settled = true;
      queue.trim();
    }
    expect(queue.size).toBe(0);
  });
});
