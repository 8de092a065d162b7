import { describe, expect, it } from 'vitest';
import { Emitter } from '../src/index.js';

interface Events {
  data: [value: number];
  done: [];
}

describe('Emitter', () => {
  it('delivers to every listener, once listeners only once', () => {
    const emitter = new Emitter<Events>();
    const seen: string[] = [];
    emitter.on('data', (v) => seen.push(`on${v}`));
    emitter.once('data', (v) => seen.push(`once${v}`));
    emitter.emit('data', 1);
    emitter.emit('data', 2);
    expect(seen).toEqual(['on1', 'once1', 'on2']);
    expect(emitter.listenerCount('data')).toBe(1);
  });

  it('runs the other listeners when one throws, then rethrows the first error', () => {
    const emitter = new Emitter<Events>();
    let reached = false;
    emitter.on('done', () => {
      throw new Error('boom');
    });
    emitter.on('done', () => {
      reached = true;
    });
    expect(() => emitter.emit('done')).toThrow('boom');
    expect(reached).toBe(true);
  });

  it('returns false when nobody listens', () => {
    expect(new Emitter<Events>().emit('done')).toBe(false);
  });
});
