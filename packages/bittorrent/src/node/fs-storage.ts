/**
 * Filesystem storage: a torrent's files under one folder, written with positional writes.
 *
 * - Writes only inside its folder: every path is resolved and checked against the folder,
 *   directories are created one level at a time and the real path of each is checked before
 *   anything is created in it (a symlinked directory cannot lead out, not even to create an
 *   empty folder), and files are opened with O_NOFOLLOW (a symlink in place of a file is
 *   refused).
 * - Sparse: nothing is preallocated; finish() sets each file to its exact length (extending it
 *   sparsely, or cutting what an older, longer file left past its end) and checks it.
 * - Read-only (`readOnly: true`, for seeding what is there): creates, writes and truncates
 *   nothing; a missing folder is an error.
 * - Errors name the file they concern (a failed read or write on an open file otherwise
 *   says only `EBADF` or `EIO`).
 * - A bounded number of open file handles (LRU), for torrents with thousands of files.
 * - BEP 47 padding files are never written; they read as zeros.
 * - mayHave() reports what existed when the storage opened, so resuming re-verifies only
 *   pieces whose files were there.
 */
import { constants, type FileHandle, lstat, mkdir, open, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { P2PError } from '@p2pkit/core';
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
  /**
   * Only read what is there (seeding): nothing is created, written or truncated; a write
   * rejects with `ERR_READ_ONLY`, and the folder must exist.
   */
  readonly readOnly?: boolean;
}

/** Thrown when a path would leave the storage folder or is not a regular file. */
export class UnsafePathError extends P2PError {
  declare readonly code: 'ERR_UNSAFE_PATH';
  constructor(message: string) {
    super(message, 'ERR_UNSAFE_PATH');
    this.name = 'UnsafePathError';
  }
}

/** A filesystem error with the file it concerns in its message (`path` and `code` kept). */
function withPath(error: unknown, file: string, doing: string): Error {
  if (!(error instanceof Error)) return new Error(`${doing} ${file}: ${String(error)}`);
  const e = error as NodeJS.ErrnoException;
  if (e.path || error instanceof P2PError) return error;
  const wrapped = new Error(`${doing} ${file}: ${error.message}`, {
    cause: error,
  }) as NodeJS.ErrnoException;
  if (e.code !== undefined) wrapped.code = e.code;
  wrapped.path = file;
  return wrapped;
}

/**
 * `mkdir -p`, one level at a time. (Node 20's `mkdir(dir, { recursive: true })` never settles
 * for a folder that cannot be created under some parents, /proc/x for one: a download into it
 * would hang without a word.)
 */
async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
  }
  await makeFolder(path.dirname(dir));
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
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
  readonly #readOnly: boolean;
  #closed = false;

  constructor(
    layout: StorageLayout,
    root: string,
    realRoot: string,
    paths: string[],
    sizes: number[],
    maxOpen: number,
    readOnly: boolean,
  ) {
    this.#readOnly = readOnly;
    this.#layout = layout;
    this.#root = root;
    this.#realRoot = realRoot;
    this.#paths = paths;
    this.#initialSizes = sizes;
    this.#maxOpen = Math.max(1, maxOpen);
  }

  static async open(layout: StorageLayout, options: FileStorageOptions): Promise<FileStorage> {
    const root = path.resolve(options.folder);
    const readOnly = options.readOnly === true;
    let rootStat = await stat(root).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT' || readOnly) throw error;
      return undefined;
    });
    if (!rootStat) {
      await makeFolder(root);
      rootStat = await stat(root);
    }
    if (!rootStat.isDirectory()) {
      throw new P2PError(`${root} is not a folder`, 'ERR_NOT_A_FOLDER');
    }
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
    return new FileStorage(
      layout,
      root,
      realRoot,
      paths,
      sizes,
      options.maxOpenFiles ?? 64,
      readOnly,
    );
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
        await this.#use(segment.file, 'reading', async (handle) => {
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
    if (this.#readOnly) {
      throw new P2PError(
        `${this.#root} is open read-only: piece ${index} not written`,
        'ERR_READ_ONLY',
      );
    }
    await Promise.all(
      segmentsOf(this.#layout, start, data.length).map(async (segment) => {
        if (this.#layout.files[segment.file]!.padding) return;
        await this.#use(segment.file, 'writing', async (handle) => {
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
    if (this.#readOnly) return;
    for (let i = 0; i < this.#layout.files.length; i++) {
      const file = this.#layout.files[i]!;
      if (file.padding) continue;
      await this.#use(i, 'finishing', async (handle) => {
        // Exactly its length: a sparse extension, or the end cut off a longer file that was
        // there before (its first bytes verified as the torrent's, the rest is not ours).
        if ((await handle.stat()).size !== file.length) await handle.truncate(file.length);
        const { size } = await handle.stat();
        if (size !== file.length) {
          throw new P2PError(
            `${this.#paths[i]} is ${size} bytes after finishing, not ${file.length}`,
            'ERR_STORAGE',
          );
        }
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

  /** Runs `fn` on file `file`'s handle; errors name the file. */
  async #use<T>(file: number, doing: string, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    try {
      return await this.#withHandle(file, fn);
    } catch (error) {
      throw withPath(error, this.#paths[file]!, doing);
    }
  }

  async #withHandle<T>(file: number, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
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

  /**
   * Makes sure `dir` (inside the root) exists and is really inside it: each level is checked
   * (its real path inside the root's) before the next is created in it, so a symlinked
   * directory cannot make us create anything elsewhere.
   */
  async #ensureDir(dir: string): Promise<void> {
    if (this.#checkedDirs.has(dir)) return;
    if (dir !== this.#root) await this.#ensureDir(path.dirname(dir));
    try {
      if (!this.#readOnly) await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // A directory inside the folder may be a symlink to elsewhere: compare real paths.
    if (!inside(this.#realRoot, await realpath(dir)))
      throw new UnsafePathError(`${dir} leads out of ${this.#root}`);
    this.#checkedDirs.add(dir);
  }

  async #openFile(file: number): Promise<OpenFile> {
    const full = this.#paths[file]!;
    await this.#ensureDir(path.dirname(full));
    this.#touched.add(file);
    let handle: FileHandle;
    try {
      handle = this.#readOnly
        ? await open(full, constants.O_RDONLY | constants.O_NOFOLLOW)
        : await open(full, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new UnsafePathError(`${full} is a symlink`);
      if (this.#readOnly || (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM'))
        throw error;
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
