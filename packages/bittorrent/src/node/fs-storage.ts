/**
 * Filesystem storage: a torrent's files under one folder, written with positional writes.
 *
 * - Confined to its folder by core's ConfinedFolder (the one copy of that code): every path is
 *   checked component by component and resolved under the folder, each directory level's real
 *   path is checked before anything is created in it (a symlink inside the folder cannot make
 *   us create even an empty folder elsewhere), files are opened with O_NOFOLLOW (a symlink in
 *   place of a file is followed only when it leads inside), FIFOs and devices are refused.
 * - Sparse: nothing is preallocated; finish() sets each file to its exact length (extending it
 *   sparsely, or cutting what an older, longer file left past its end) and checks it.
 * - Opened early: a writable storage starts opening (creating, empty) its first files when it
 *   opens, in the background, so the first verified piece does not wait for it. Opening is a
 *   chain of filesystem calls (each directory level checked, then the file), each a turn of
 *   the event loop: while pieces pour in, each turn is long, and a lazy open took 270 ms.
 * - Read-only (`readOnly: true`, for seeding what is there): creates, writes and truncates
 *   nothing; a missing folder is an error.
 * - Errors name the file they concern (a failed read or write on an open file otherwise
 *   says only `EBADF` or `EIO`).
 * - A bounded number of open file handles (LRU), for torrents with thousands of files.
 * - BEP 47 padding files are never written; they read as zeros.
 * - mayHave() reports what existed when the storage opened, so resuming re-verifies only
 *   pieces whose files were there.
 */
import { constants, type FileHandle, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { P2PError, UnsafePathError } from '@p2pkit/core';
import { ConfinedFolder, isInside } from '@p2pkit/core/node';
import {
  absoluteOffset,
  type Storage,
  type StorageFactory,
  type StorageLayout,
  segmentsOf,
} from '../storage/storage.js';

/** Thrown when a path would leave the storage folder or is not a regular file (core's). */
export { UnsafePathError };

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

/**
 * The size of the file at `full` when the storage opens; -1 when there is none. A symlink
 * counts only when it leads inside the folder; anything but a regular file is refused.
 */
async function existingSize(folder: ConfinedFolder, full: string): Promise<number> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return -1;
    throw error;
  }
  if (info.isSymbolicLink()) {
    const target = await realpath(full).catch(() => undefined);
    if (target === undefined || !isInside(folder.realRoot, target)) {
      throw new UnsafePathError(`${full} is a symlink that leads out of ${folder.root}`);
    }
    info = await stat(target);
  }
  if (!info.isFile()) throw new UnsafePathError(`${full} exists and is not a regular file`);
  return info.size;
}

interface OpenFile {
  handle: FileHandle;
  busy: number;
}

interface QueuedWrite {
  readonly position: number;
  readonly data: Uint8Array;
  resolve(): void;
  reject(error: unknown): void;
}

interface WriteQueue {
  busy: boolean;
  items: QueuedWrite[];
}

/** Buffers per writev (Linux's IOV_MAX is 1024). */
const MAX_IOV = 256;

/** Writes adjacent buffers from the first one's position on, all of them whatever the kernel takes per call. */
async function writeRun(handle: FileHandle, run: readonly QueuedWrite[]): Promise<void> {
  let position = run[0]!.position;
  let buffers = run.map((item) => item.data);
  for (;;) {
    const { bytesWritten } = await handle.writev(buffers, position);
    position += bytesWritten;
    let skip = bytesWritten;
    while (buffers.length > 0 && skip >= buffers[0]!.length) skip -= buffers.shift()!.length;
    if (buffers.length === 0) return;
    if (bytesWritten === 0) throw new Error(`no progress writing at ${position}`);
    buffers = [buffers[0]!.subarray(skip), ...buffers.slice(1)];
  }
}

class FileStorage implements Storage {
  readonly retainsWrites = false;
  readonly #layout: StorageLayout;
  readonly #folder: ConfinedFolder;
  readonly #paths: string[];
  /** Size each file had when we opened the storage (-1 = missing). */
  readonly #initialSizes: number[];
  readonly #maxOpen: number;
  readonly #open = new Map<number, OpenFile>();
  readonly #opening = new Map<number, Promise<OpenFile>>();
  readonly #writeQueues = new Map<number, WriteQueue>();
  /** Files opened (so possibly created and written) since the storage opened. */
  readonly #touched = new Set<number>();
  readonly #readOnly: boolean;
  #closed = false;

  constructor(
    layout: StorageLayout,
    folder: ConfinedFolder,
    paths: string[],
    sizes: number[],
    maxOpen: number,
    readOnly: boolean,
  ) {
    this.#readOnly = readOnly;
    this.#layout = layout;
    this.#folder = folder;
    this.#paths = paths;
    this.#initialSizes = sizes;
    this.#maxOpen = Math.max(1, maxOpen);
  }

  static async open(layout: StorageLayout, options: FileStorageOptions): Promise<FileStorage> {
    const readOnly = options.readOnly === true;
    // Created level by level here: Node 20's recursive mkdir never settles under /proc.
    if (!readOnly) await makeFolder(path.resolve(options.folder));
    const folder = await ConfinedFolder.open(options.folder);
    const paths: string[] = [];
    const sizes: number[] = [];
    for (const file of layout.files) {
      const full = folder.resolve(file.path);
      paths.push(full);
      sizes.push(await existingSize(folder, full));
    }
    const storage = new FileStorage(
      layout,
      folder,
      paths,
      sizes,
      options.maxOpenFiles ?? 64,
      readOnly,
    );
    if (!readOnly) storage.#openEarly();
    return storage;
  }

  /** Starts opening the first files (up to the open-file limit); a failure shows at use. */
  #openEarly(): void {
    const files = this.#layout.files;
    for (let i = 0, n = 0; i < files.length && n < this.#maxOpen; i++) {
      if (files[i]!.padding || files[i]!.length === 0) continue;
      n++;
      const pending = this.#openFile(i);
      this.#opening.set(i, pending);
      pending.then(
        () => this.#opening.delete(i),
        () => this.#opening.delete(i),
      );
    }
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
        `${this.#folder.root} is open read-only: piece ${index} not written`,
        'ERR_READ_ONLY',
      );
    }
    await Promise.all(
      segmentsOf(this.#layout, start, data.length).map((segment) => {
        if (this.#layout.files[segment.file]!.padding) return undefined;
        return this.#queueWrite(
          segment.file,
          segment.fileOffset,
          data.subarray(segment.dataOffset, segment.dataOffset + segment.length),
        );
      }),
    );
  }

  /**
   * Writes to one file go one batch at a time: the first at once, those that arrive while it
   * is in flight together next, each run of adjacent ones as a single writev. While pieces pour
   * in, that is a few large writes instead of one per piece (each a trip through libuv's thread
   * pool: a quarter of a loaded leecher's CPU went into submitting them).
   */
  #queueWrite(file: number, position: number, data: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let queue = this.#writeQueues.get(file);
      if (!queue) {
        queue = { busy: false, items: [] };
        this.#writeQueues.set(file, queue);
      }
      queue.items.push({ position, data, resolve, reject });
      if (!queue.busy) void this.#drainWrites(file, queue);
    });
  }

  async #drainWrites(file: number, queue: WriteQueue): Promise<void> {
    queue.busy = true;
    while (queue.items.length > 0) {
      const items = queue.items.splice(0).sort((a, b) => a.position - b.position);
      const runs: QueuedWrite[][] = [];
      let end = -1;
      for (const item of items) {
        const run = runs.at(-1);
        if (run && item.position === end && run.length < MAX_IOV) run.push(item);
        else runs.push([item]);
        end = item.position + item.data.length;
      }
      await Promise.all(
        runs.map((run) =>
          this.#use(file, 'writing', (handle) => writeRun(handle, run)).then(
            () => {
              for (const item of run) item.resolve();
            },
            (error: unknown) => {
              for (const item of run) item.reject(error);
            },
          ),
        ),
      );
    }
    queue.busy = false;
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

  async #openFile(file: number): Promise<OpenFile> {
    const full = this.#paths[file]!;
    this.#touched.add(file);
    let handle: FileHandle;
    try {
      handle = await this.#folder.openFile(
        full,
        this.#readOnly ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT,
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (this.#readOnly || (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM'))
        throw error;
      // Read-only data can still be seeded.
      handle = await this.#folder.openFile(full, constants.O_RDONLY);
    }
    if (this.#closed) {
      await handle.close();
      throw new Error('storage closed');
    }
    const entry = { handle, busy: 0 };
    this.#open.set(file, entry);
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
