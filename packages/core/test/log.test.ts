import { describe, expect, it } from 'vitest';
import { createLogger, isNamespaceEnabled, type LogRecord } from '../src/index.js';

describe('createLogger', () => {
  it('is off by default', () => {
    const records: LogRecord[] = [];
    const log = createLogger({ sink: (r) => records.push(r) });
    log('hello');
    expect(log.enabled).toBe(false);
    expect(log.namespace).toBe('p2pkit');
    expect(records).toEqual([]);
  });

  it('follows DEBUG-style patterns with wildcards and exclusions', () => {
    const pattern = 'p2pkit:chord*,-p2pkit:chord:rpc p2pkit:sim';
    expect(isNamespaceEnabled(pattern, 'p2pkit:chord')).toBe(true);
    expect(isNamespaceEnabled(pattern, 'p2pkit:chord:stabilize')).toBe(true);
    expect(isNamespaceEnabled(pattern, 'p2pkit:chord:rpc')).toBe(false);
    expect(isNamespaceEnabled(pattern, 'p2pkit:sim')).toBe(true);
    expect(isNamespaceEnabled(pattern, 'p2pkit:sim:net')).toBe(false);
    expect(isNamespaceEnabled(pattern, 'p2pkit:pastry')).toBe(false);
    expect(isNamespaceEnabled('*', 'anything')).toBe(true);
    expect(isNamespaceEnabled('p2pkit.x', 'p2pkitax')).toBe(false);
  });

  it('extends namespaces and sends records to the sink with the clock time', () => {
    const records: LogRecord[] = [];
    let t = 5;
    const root = createLogger({
      debug: 'p2pkit:chord*',
      sink: (r) => records.push(r),
      now: () => t,
    });
    const chord = root.extend('chord');
    const rpc = chord.extend('rpc');
    root('not shown');
    chord('joined %s', 'n1');
    t = 6;
    rpc('sent', 3);
    expect(root.enabled).toBe(false);
    expect(rpc.namespace).toBe('p2pkit:chord:rpc');
    expect(records).toEqual([
      { namespace: 'p2pkit:chord', message: 'joined %s', args: ['n1'], time: 5 },
      { namespace: 'p2pkit:chord:rpc', message: 'sent', args: [3], time: 6 },
    ]);
  });
});
