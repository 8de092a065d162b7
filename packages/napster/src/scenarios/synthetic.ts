/**
 * A library whose file contents are computed, not stored: byte i of a file is a function of its
 * name and i. Simulated clients share thousands of files without holding them, and a download
 * can be checked byte for byte against what the uploader would have sent.
 */
import type { Library, SharedFileInfo } from '../client.js';
import type { FileSource } from '../transfer.js';

/** Byte `i` of the synthetic file named by `seed` (never an ASCII digit at 0, like MP3 frames). */
export function syntheticByte(seed: number, i: number): number {
  if (i === 0) return 0xff;
  let x = (seed ^ Math.imul(i, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  return (x ^ (x >>> 13)) & 0xff;
}

/** A 32-bit seed from a name. */
export function nameSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `length` synthetic bytes of `name` from `offset`. */
export function syntheticBytes(name: string, offset: number, length: number): Uint8Array {
  const seed = nameSeed(name);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = syntheticByte(seed, offset + i);
  return out;
}

export class SyntheticLibrary implements Library {
  private readonly byName: Map<string, SharedFileInfo>;

  constructor(readonly files: readonly SharedFileInfo[]) {
    this.byName = new Map(files.map((f) => [f.filename, f]));
  }

  list(): readonly SharedFileInfo[] {
    return this.files;
  }

  open(filename: string): FileSource | undefined {
    const file = this.byName.get(filename);
    if (!file) return undefined;
    return {
      size: file.size,
      read: async (offset, length) =>
        syntheticBytes(filename, offset, Math.min(length, file.size - offset)),
    };
  }
}
