/** Helpers for client and transfer tests. */

import type { SharedFile } from '@p2pkit/core';
import { createMemoryFolder, type MemoryFolder } from '@p2pkit/core';
import type { ShareSource } from '../../src/index.js';

/** A memory folder holding these files (strings as UTF-8). */
export function folder(files: Record<string, Uint8Array | string>): MemoryFolder {
  const bytes: Record<string, Uint8Array> = {};
  for (const [name, data] of Object.entries(files)) {
    bytes[name] = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  }
  return createMemoryFolder({ files: bytes });
}

/**
 * A folder that lists whatever names it is given, safe or not (a buggy or hostile folder), and
 * records what the client asked it for.
 */
export class CarelessFolder implements ShareSource {
  asked: string[] = [];
  constructor(private readonly files: Record<string, string>) {}
  async list(): Promise<SharedFile[]> {
    return Object.entries(this.files).map(([name, data]) => ({
      name,
      size: data.length,
      mtimeMs: 0,
    }));
  }
  async stat(name: string): Promise<SharedFile | undefined> {
    this.asked.push(name);
    const data = this.files[name];
    return data === undefined ? undefined : { name, size: data.length, mtimeMs: 0 };
  }
  async *read(name: string): AsyncIterable<Uint8Array> {
    this.asked.push(name);
    yield new TextEncoder().encode(this.files[name] ?? '');
  }
}

/** Bytes 0..n-1 of a pattern that does not start with an ASCII digit. */
export function pattern(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Collects downloaded chunks. */
export class Sink {
  chunks: Uint8Array[] = [];
  onData = (chunk: Uint8Array) => {
    this.chunks.push(chunk.slice());
  };
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}
