import { ProtocolError } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { Bitfield } from '../../src/wire/bitfield.js';

describe('Bitfield', () => {
  it('piece 0 is the high bit of byte 0; spare bits stay zero', () => {
    const b = new Bitfield(10);
    b.set(0);
    b.set(9);
    expect([...b.toBytes()]).toEqual([0x80, 0x40]);
    expect(b.count).toBe(2);
    b.setAll();
    expect([...b.toBytes()]).toEqual([0xff, 0xc0]);
    expect(b.complete).toBe(true);
    expect(b.clear(3)).toBe(true);
    expect(b.count).toBe(9);
  });

  it('refuses a short bitfield', () => {
    expect(() => Bitfield.fromWire(new Uint8Array(1), 10)).toThrow(ProtocolError);
  });

  it('spare bits set: reported and ignored when lenient, refused when strict', () => {
    const bits = Uint8Array.of(0x80, 0x7f); // piece 0, and 6 spare bits set (and piece 9)
    const { bitfield, issues } = Bitfield.fromWire(bits, 10);
    expect(issues).toEqual({ oversize: false, spareBits: true });
    expect([...bitfield.indices()]).toEqual([0, 9]);
    expect(bitfield.count).toBe(2);
    expect(() => Bitfield.fromWire(bits, 10, { strict: true })).toThrow(ProtocolError);
  });

  it('oversize: extra bytes ignored when lenient, refused when strict', () => {
    const bits = Uint8Array.of(0xff, 0xc0, 0x00);
    const { bitfield, issues } = Bitfield.fromWire(bits, 10);
    expect(issues).toEqual({ oversize: true, spareBits: false });
    expect(bitfield.complete).toBe(true);
    expect(() => Bitfield.fromWire(bits, 10, { strict: true })).toThrow(ProtocolError);
  });
});
