/**
 * A library whose file contents are computed, not stored: byte i of a file is a function of its
 * name and i. Simulated clients share thousands of files without holding them, and a download
 * can be checked byte for byte against what the uploader would have sent.
 */
import { P2PError, type ReadOptions, type SharedFile } from '@p2pkit/core';
import type { SharedFileInfo, ShareSource } from '../client.js';

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

/**
 * The part of a SharedFolder a client shares from (list, stat, read), over computed files:
 * thousands of simulated clients share without holding a byte.
 */
export class SyntheticFolder implements ShareSource {
  private readonly byName: Map<string, SharedFileInfo>;

  constructor(readonly files: readonly SharedFileInfo[]) {
    this.byName = new Map(files.map((f) => [f.filename, f]));
  }

  async list(): Promise<SharedFile[]> {
    return this.files.map((f) => ({ name: f.filename, size: f.size, mtimeMs: 0 }));
  }

  async stat(name: string): Promise<SharedFile | undefined> {
    const f = this.byName.get(name);
    return f && { name, size: f.size, mtimeMs: 0 };
  }

  async *read(name: string, options: ReadOptions = {}): AsyncIterable<Uint8Array> {
    const f = this.byName.get(name);
    if (!f) throw new P2PError(`no such file ${name}`, 'ERR_NOT_FOUND');
    const end = Math.min(options.end ?? f.size, f.size);
    for (let at = options.start ?? 0; at < end; at += CHUNK) {
      if (options.signal?.aborted) throw new P2PError('aborted', 'ERR_ABORTED');
      yield syntheticBytes(name, at, Math.min(CHUNK, end - at));
    }
  }
}

const CHUNK = 64 * 1024;
