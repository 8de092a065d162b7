import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedMap, createManualClock } from '../src/index.js';
import { expectEachThrows } from './helpers.js';

describe('BoundedMap', () => {
  it('drops the least recently used entry when full; get refreshes, peek does not', () => {
    const map = new BoundedMap<string, number>({ maxSize: 3 });
    map.set('a', 1).set('b', 2).set('c', 3);
    expect(map.get('a')).toBe(1); // a is now the most recent
    expect(map.peek('b')).toBe(2); // b stays the least recent
    map.set('d', 4);
    expect(map.has('b')).toBe(false);
    expect([...map.keys()]).toEqual(['d', 'a', 'c']);
    expect(map.size).toBe(3);
  });

  it('behaves as a naive LRU list for any sequence of operations (property)', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.nat(7), fc.nat(100)),
      fc.tuple(fc.constant('get' as const), fc.nat(7), fc.constant(0)),
      fc.tuple(fc.constant('peek' as const), fc.nat(7), fc.constant(0)),
      fc.tuple(fc.constant('delete' as const), fc.nat(7), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 80 }), (max, ops) => {
        const map = new BoundedMap<number, number>({ maxSize: max });
        // Model: most recent first.
        let model: [number, number][] = [];
        for (const [kind, key, value] of ops) {
          const at = model.findIndex(([k]) => k === key);
          if (kind === 'set') {
            map.set(key, value);
            if (at >= 0) model.splice(at, 1);
            model.unshift([key, value]);
            model = model.slice(0, max);
          } else if (kind === 'get') {
            expect(map.get(key)).toBe(at >= 0 ? model[at]![1] : undefined);
            if (at >= 0) model.unshift(...model.splice(at, 1));
          } else if (kind === 'peek') {
            expect(map.peek(key)).toBe(at >= 0 ? model[at]![1] : undefined);
          } else {
            expect(map.delete(key)).toBe(at >= 0);
            if (at >= 0) model.splice(at, 1);
          }
          expect([...map.entries()]).toEqual(model);
          expect(map.size).toBe(model.length);
        }
      }),
    );
  });

  it('expires entries on the Runtime clock, starting at time 0', () => {
    const clock = createManualClock(); // starts at 0, as the simulator does
    const map = new BoundedMap<string, string>({ maxSize: 10, ttlMs: 1000, clock });
    map.set('guid-1', 'conn-a');
    clock.advance(600);
    map.set('guid-2', 'conn-b');
    clock.advance(400);
    expect(map.get('guid-1')).toBe('conn-a'); // exactly ttl old: still there
    clock.advance(1);
    expect(map.get('guid-1')).toBeUndefined();
    expect(map.has('guid-2')).toBe(true);
    expect([...map.keys()]).toEqual(['guid-2']);
    clock.advance(600);
    expect(map.peek('guid-2')).toBeUndefined();
  });

  it('set restarts the TTL; get does not; per-entry TTL overrides', () => {
    const clock = createManualClock(5000);
    const map = new BoundedMap<string, number>({ maxSize: 10, ttlMs: 100, clock });
    map.set('x', 1);
    map.set('short', 2, { ttlMs: 10 });
    clock.advance(50);
    map.get('x');
    map.set('y', 3);
    clock.advance(51);
    expect(map.get('x')).toBeUndefined();
    expect(map.get('short')).toBeUndefined();
    expect(map.get('y')).toBe(3);
  });

  it('purgeStale drops every expired entry; onEvict reports evictions and expiries only', () => {
    const clock = createManualClock();
    const seen: string[] = [];
    const map = new BoundedMap<string, number>({
      maxSize: 2,
      ttlMs: 10,
      clock,
      onEvict: (key, value, reason) => seen.push(`${key}=${value}:${reason}`),
    });
    map.set('a', 1).set('b', 2).set('c', 3); // a evicted
    map.delete('b'); // not reported
    map.set('c', 4); // replaced, not reported
    clock.advance(11);
    expect(map.size).toBe(1);
    expect(map.purgeStale()).toBe(true);
    expect(map.size).toBe(0);
    expect(seen).toEqual(['a=1:evict', 'c=4:expire']);
  });

  it('refuses bad options with ERR_INVALID_ARGUMENT', () => {
    const clock = createManualClock();
    expectEachThrows('ERR_INVALID_ARGUMENT', [
      () => new BoundedMap({ maxSize: 0 }),
      () => new BoundedMap({ maxSize: 1.5 }),
      () => new BoundedMap({ maxSize: 1, ttlMs: 10 }),
      () => new BoundedMap({ maxSize: 1, ttlMs: -1, clock }),
      () => new BoundedMap<string, number>({ maxSize: 1 }).set('a', 1, { ttlMs: 5 }),
      () =>
        new BoundedMap<string, number>({ maxSize: 1, ttlMs: 5, clock }).set('a', 1, { ttlMs: 0 }),
      () => new BoundedMap<string, number>({ maxSize: 1 }).set('a', undefined as unknown as number),
    ]);
  });

  it('stays at maxSize under a flood of distinct keys', () => {
    const map = new BoundedMap<number, number>({ maxSize: 1000 });
    for (let i = 0; i < 100_000; i++) map.set(i, i);
    expect(map.size).toBe(1000);
    expect(map.peek(99_000)).toBe(99_000);
    expect(map.peek(98_999)).toBeUndefined();
  });
});
