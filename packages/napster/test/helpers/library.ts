/** An in-memory library for client tests: names → bytes. */
import type { FileSource, Library, SharedFileInfo } from '../../src/index.js';

export class MemoryLibrary implements Library {
  readonly files = new Map<string, Uint8Array>();
  opened: string[] = [];

  constructor(entries: Record<string, Uint8Array | string> = {}) {
    for (const [name, data] of Object.entries(entries)) {
      this.files.set(name, typeof data === 'string' ? new TextEncoder().encode(data) : data);
    }
  }

  list(): SharedFileInfo[] {
    return [...this.files].map(([filename, data]) => ({ filename, size: data.length }));
  }

  open(filename: string): FileSource | undefined {
    this.opened.push(filename);
    const data = this.files.get(filename);
    if (!data) return undefined;
    return {
      size: data.length,
      read: async (offset, length) => data.slice(offset, offset + length),
    };
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
