import { abortErrorFrom, P2PError } from '../errors.js';
import type { ByteSource } from '../http/server.js';
import { sha1 } from '../sha1.js';
import { splitSafePath } from './path.js';
import { span } from './span.js';
import {
  type HashProgress,
  type ListOptions,
  PART_SUFFIX,
  type PartialFile,
  type ReadOptions,
  type SharedFile,
  type SharedFolder,
  type WriteOptions,
} from './types.js';

interface Entry {
  data: Uint8Array;
  mtimeMs: number;
  sha1?: Uint8Array;
}

export interface MemoryFolderOptions {
  /** Files to start with, by relative name. */
  files?: Readonly<Record<string, Uint8Array>>;
  /** Size of the chunks `read` yields (default 64 KiB). */
  chunkSize?: number;
}

/**
 * A SharedFolder in memory, for the simulator and tests: the same names are refused as on disk
 * (UnsafePathError), downloads go through `.part` entries renamed on commit, SHA-1 is computed
 * once per version. `mtimeMs` is a counter bumped on every change (no clock is read).
 */
export class MemoryFolder implements SharedFolder {
  private readonly files = new Map<string, Entry>();
  private readonly parts = new Map<string, Uint8Array[]>();
  private readonly chunkSize: number;
  private version = 0;

  constructor(options: MemoryFolderOptions = {}) {
    this.chunkSize = options.chunkSize ?? 64 * 1024;
    for (const [name, data] of Object.entries(options.files ?? {})) this.put(name, data);
  }

  /** Adds or replaces a file (what a user copying a file into the folder does). */
  put(name: string, data: Uint8Array): void {
    const key = checked(name);
    this.files.set(key, { data, mtimeMs: ++this.version });
  }

  /** A file's bytes, or undefined. */
  get(name: string): Uint8Array | undefined {
    return this.files.get(checked(name))?.data;
  }

  /** Names of `.part` files (downloads in progress or interrupted). */
  partials(): string[] {
    return [...this.parts.keys()].map((name) => name + PART_SUFFIX).sort();
  }

  async list(options: ListOptions = {}): Promise<SharedFile[]> {
    const names = [...this.files.keys()].sort();
    const out: SharedFile[] = [];
    const bytesTotal = names.reduce((n, name) => n + this.files.get(name)!.data.length, 0);
    let bytesDone = 0;
    for (const [i, name] of names.entries()) {
      if (options.signal?.aborted) throw abortErrorFrom(options.signal);
      const entry = this.files.get(name)!;
      if (options.hash) {
        entry.sha1 ??= sha1(entry.data);
        bytesDone += entry.data.length;
        const progress: HashProgress = {
          filesDone: i + 1,
          filesTotal: names.length,
          bytesDone,
          bytesTotal,
          current: name,
        };
        options.onProgress?.(progress);
      }
      out.push(describe(name, entry, options.hash === true));
    }
    return out;
  }

  async stat(name: string): Promise<SharedFile | undefined> {
    const key = checked(name);
    const entry = this.files.get(key);
    return entry ? describe(key, entry, false) : undefined;
  }

  async sha1(name: string): Promise<Uint8Array> {
    const entry = this.entry(name);
    entry.sha1 ??= sha1(entry.data);
    return entry.sha1;
  }

  read(name: string, options: ReadOptions = {}): AsyncIterable<Uint8Array> {
    const entry = this.entry(name);
    const data = entry.data;
    const { start, end } = span(options, data.length);
    const chunkSize = this.chunkSize;
    const signal = options.signal;
    return (async function* () {
      for (let at = start; at < end; at += chunkSize) {
        if (signal?.aborted) throw abortErrorFrom(signal);
        yield data.subarray(at, Math.min(end, at + chunkSize));
      }
    })();
  }

  async source(name: string): Promise<ByteSource> {
    const entry = this.entry(name);
    const data = entry.data;
    return {
      size: data.length,
      stream: (start, end) => this.readData(data, start, end),
    };
  }

  async write(name: string, options: WriteOptions = {}): Promise<PartialFile> {
    const key = checked(name);
    const existing = this.parts.get(key);
    const chunks = options.resume && existing ? existing : [];
    this.parts.set(key, chunks);
    let written = chunks.reduce((n, c) => n + c.length, 0);
    let open = true;
    const ensureOpen = () => {
      if (!open) throw new P2PError(`download of ${key} already finished`, 'ERR_CLOSED');
    };
    return {
      name: key,
      get written() {
        return written;
      },
      write: async (chunk) => {
        ensureOpen();
        chunks.push(chunk.slice());
        written += chunk.length;
      },
      commit: async () => {
        ensureOpen();
        open = false;
        const data = new Uint8Array(written);
        let at = 0;
        for (const c of chunks) {
          data.set(c, at);
          at += c.length;
        }
        this.parts.delete(key);
        this.files.set(key, { data, mtimeMs: ++this.version });
      },
      close: async () => {
        open = false;
      },
      abort: async () => {
        open = false;
        if (this.parts.get(key) === chunks) this.parts.delete(key);
      },
    };
  }

  private entry(name: string): Entry {
    const key = checked(name);
    const entry = this.files.get(key);
    if (!entry) throw new P2PError(`no shared file ${JSON.stringify(key)}`, 'ERR_NOT_FOUND');
    return entry;
  }

  private async *readData(data: Uint8Array, start: number, end: number) {
    for (let at = start; at < end; at += this.chunkSize) {
      yield data.subarray(at, Math.min(end, at + this.chunkSize));
    }
  }
}

/** A memory folder holding `files` (see MemoryFolder). */
export function createMemoryFolder(options: MemoryFolderOptions = {}): MemoryFolder {
  return new MemoryFolder(options);
}

function checked(name: string): string {
  const key = splitSafePath(name).join('/');
  if (key.endsWith(PART_SUFFIX)) {
    throw new P2PError(`${JSON.stringify(name)}: .part files are not shared`, 'ERR_NOT_FOUND');
  }
  return key;
}

function describe(name: string, entry: Entry, withHash: boolean): SharedFile {
  const file: { name: string; size: number; mtimeMs: number; sha1?: Uint8Array } = {
    name,
    size: entry.data.length,
    mtimeMs: entry.mtimeMs,
  };
  if (withHash && entry.sha1) file.sha1 = entry.sha1;
  return file;
}
