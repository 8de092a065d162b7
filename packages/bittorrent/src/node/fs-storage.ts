/**
 * Filesystem storage: a torrent's files under one folder, written with positional writes.
 *
 * - Writes only inside its folder: every path is resolved and checked against the folder, the
 *   real path of every parent directory is checked too (a symlinked directory cannot lead out),
 *   and files are opened with O_NOFOLLOW (a symlink in place of a file is refused).
 * - Sparse: nothing is preallocated; finish() extends each file to its length with truncate.
 * - A bounded number of open file handles (LRU), for torrents with thousands of files.
 * - BEP 47 padding files are never written; they read as zeros.
 * - mayHave() reports what existed when the storage opened, so resuming re-verifies only
 *   pieces whose files were there.
 */
import { constants, type FileHandle, lstat, mkdir, open, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import {
  absoluteOffset,
  type Storage,
  type StorageFactory,
  type StorageLayout,
  segmentsOf,
} from '../storage/storage.js';

export interface FileStorageOptions {
  /** The folder holding the torrent's file or top-level directory (as aria2c's --dir). */
  readonly folder: string;
  /** Most files open at once (default 64). */
  readonly maxOpenFiles?: number;
}

/** Thrown when a path would leave the storage folder or is not a regular file. */
export class UnsafePathError extends Error {
  readonly code = 'ERR_UNSAFE_PATH';
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

function inside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

interface OpenFile {
  handle: FileHandle;
  busy: number;
}

class FileStorage implements Storage {
  readonly retainsWrites = false;
  readonly #layout: StorageLayout;
  readonly #root: string;
  readonly #realRoot: string;
  readonly #paths: string[];
  /** Size each file had when we opened the storage (-1 = missing). */
  readonly #initialSizes: number[];
  readonly #maxOpen: number;
  readonly #open = new Map<number, OpenFile>();
  readonly #opening = new Map<number, Promise<OpenFile>>();
  readonly #checkedDirs = new Set<string>();
  /** Files opened (so possibly created and written) since the storage opened. */
  readonly #touched = new Set<number>();
  #closed = false;

  constructor(
    layout: StorageLayout,
    root: string,
    realRoot: string,
    paths: string[],
    sizes: number[],
    maxOpen: number,
  ) {
    this.#layout = layout;
    this.#root = root;
    this.#realRoot = realRoot;
    this.#paths = paths;
    this.#initialSizes = sizes;
    this.#maxOpen = Math.max(1, maxOpen);
  }

  static async open(layout: StorageLayout, options: FileStorageOptions): Promise<FileStorage> {
    const root = path.resolve(options.folder);
    await mkdir(root, { recursive: true });
    const realRoot = await realpath(root);
    const paths: string[] = [];
    const sizes: number[] = [];
    for (const file of layout.files) {
      for (const component of file.path) {
        if (
          component === '' ||
          component === '.' ||
          component === '..' ||
          /[/\\\0]/.test(component)
        ) {
          throw new UnsafePathError(`unsafe path component ${JSON.stringify(component)}`);
        }
      }
      const full = path.resolve(root, ...file.path);
      if (!inside(root, full) || full === root)
        throw new UnsafePathError(`${file.path.join('/')} leaves ${root}`);
      paths.push(full);
      let size = -1;
      try {
        const stat = await lstat(full);
        if (!stat.isFile()) throw new UnsafePathError(`${full} exists and is not a regular file`);
        size = stat.size;
      } catch (error) {
        if (error instanceof UnsafePathError) throw error;
        if (
          (error as NodeJS.ErrnoException).code !== 'ENOENT' &&
          (error as NodeJS.ErrnoException).code !== 'ENOTDIR'
        ) {
          throw error;
        }
      }
      sizes.push(size);
    }
    return new FileStorage(layout, root, realRoot, paths, sizes, options.maxOpenFiles ?? 64);
  }

  mayHave(index: number): boolean {
    const start = absoluteOffset(this.#layout, index, 0, 0);
    const length =
      index === this.#layout.pieceCount - 1
        ? this.#layout.length - start
        : this.#layout.pieceLength;
    for (const segment of segmentsOf(this.#layout, start, length)) {
      if (this.#layout.files[segment.file]!.padding) continue;
      if (this.#initialSizes[segment.file]! < segment.fileOffset + segment.length) return false;
    }
    return true;
  }

  async read(
    index: number,
    offset: number,
    length: number,
    target?: Uint8Array,
  ): Promise<Uint8Array> {
    const start = absoluteOffset(this.#layout, index, offset, length);
    // A reused target holds old bytes: every range not read from a file is zeroed explicitly.
    const reused = target !== undefined && target.length >= length;
    const out = reused ? target.subarray(0, length) : new Uint8Array(length);
    await Promise.all(
      segmentsOf(this.#layout, start, length).map(async (segment) => {
        const zero = (from: number) => {
          if (reused) out.fill(0, segment.dataOffset + from, segment.dataOffset + segment.length);
        };
        // Padding, and files never written, read as zeros (like the sparse files they become).
        if (
          this.#layout.files[segment.file]!.padding ||
          (this.#initialSizes[segment.file]! < 0 && !this.#touched.has(segment.file))
        ) {
          zero(0);
          return;
        }
        await this.#use(segment.file, async (handle) => {
          let done = 0;
          while (done < segment.length) {
            const { bytesRead } = await handle.read(
              out,
              segment.dataOffset + done,
              segment.length - done,
              segment.fileOffset + done,
            );
            if (bytesRead === 0) break; // past the end: zeros
            done += bytesRead;
          }
          zero(done);
        });
      }),
    );
    return out;
  }

  async write(index: number, offset: number, data: Uint8Array): Promise<void> {
    const start = absoluteOffset(this.#layout, index, offset, data.length);
    await Promise.all(
      segmentsOf(this.#layout, start, data.length).map(async (segment) => {
        if (this.#layout.files[segment.file]!.padding) return;
        await this.#use(segment.file, async (handle) => {
          let done = 0;
          while (done < segment.length) {
            const { bytesWritten } = await handle.write(
              data,
              segment.dataOffset + done,
              segment.length - done,
              segment.fileOffset + done,
            );
            done += bytesWritten;
          }
        });
      }),
    );
  }

  async finish(): Promise<void> {
    for (let i = 0; i < this.#layout.files.length; i++) {
      const file = this.#layout.files[i]!;
      if (file.padding) continue;
      await this.#use(i, async (handle) => {
        const { size } = await handle.stat();
        if (size < file.length) await handle.truncate(file.length);
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#opening.values()]);
    const handles = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(handles.map((f) => f.handle.close()));
  }

  async #use<T>(file: number, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('storage closed');
    let entry = this.#open.get(file);
    if (entry) {
      // Most recently used goes last.
      this.#open.delete(file);
      this.#open.set(file, entry);
    } else {
      let pending = this.#opening.get(file);
      if (!pending) {
        pending = this.#openFile(file);
        this.#opening.set(file, pending);
      }
      try {
        entry = await pending;
      } finally {
        this.#opening.delete(file);
      }
    }
    entry.busy++;
    try {
      return await fn(entry.handle);
    } finally {
      entry.busy--;
      this.#evict();
    }
  }

  async #openFile(file: number): Promise<OpenFile> {
    const full = this.#paths[file]!;
    const dir = path.dirname(full);
    if (!this.#checkedDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      // A directory inside the folder may be a symlink to elsewhere: compare real paths.
      if (!inside(this.#realRoot, await realpath(dir)))
        throw new UnsafePathError(`${dir} leads out of ${this.#root}`);
      this.#checkedDirs.add(dir);
    }
    this.#touched.add(file);
    let handle: FileHandle;
    try {
      handle = await open(full, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new UnsafePathError(`${full} is a symlink`);
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw error;
      // Read-only data can still be seeded.
      handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
    }
    if (this.#closed) {
      await handle.close();
      throw new Error('storage closed');
    }
    const entry = { handle, busy: 0 };
    this.#open.set(file, entry);
    this.#touched.add(file);
    return entry;
  }

  #evict(): void {
    if (this.#open.size <= this.#maxOpen) return;
    for (const [file, entry] of this.#open) {
      if (this.#open.size <= this.#maxOpen) break;
      if (entry.busy > 0) continue;
      this.#open.delete(file);
      void entry.handle.close().catch(() => {});
    }
  }
}

/** A StorageFactory writing under `folder`. */
export function fileStorage(options: FileStorageOptions): StorageFactory {
  return (layout) => FileStorage.open(layout, options);
}
