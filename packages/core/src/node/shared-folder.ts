import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import {
  constants,
  type FileHandle,
  readdir,
  realpath,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import * as path from 'node:path';
import { abortErrorFrom, P2PError } from '../errors.js';
import { checkPathComponent, MAX_PATH_DEPTH, UnsafePathError } from '../folder/path.js';
import { span } from '../folder/span.js';
import {
  type ListOptions,
  PART_SUFFIX,
  type PartialFile,
  type ReadOptions,
  type SharedFile,
  type SharedFolder,
  type WriteOptions,
} from '../folder/types.js';
import type { ByteSource } from '../http/server.js';
import { ConfinedFolder, isInside } from './confined-folder.js';

export interface SharedFolderOptions {
  /** Create the folder when it is missing (default true). */
  create?: boolean;
  /** Size of the chunks `read` yields (default 256 KiB). */
  chunkSize?: number;
}

const HASH_BLOCK = 1024 * 1024;
const PROGRESS_EVERY = 8 * 1024 * 1024;

interface CachedHash {
  size: number;
  mtimeMs: number;
  sha1: Uint8Array;
}

/**
 * A folder on disk that a node shares and downloads into (see SharedFolder). Every name goes
 * through one ConfinedFolder; SHA-1s are computed lazily and cached by size+mtime (a file
 * changed on disk is hashed again); downloads are written to `<name>.part` and renamed on
 * commit; `.part` files and entries that are not regular files inside the root are never
 * listed or served.
 */
export async function openSharedFolder(
  root: string,
  options: SharedFolderOptions = {},
): Promise<SharedFolder> {
  const folder = await ConfinedFolder.open(root, { create: options.create ?? true });
  return new DiskFolder(folder, options.chunkSize ?? 256 * 1024);
}

class DiskFolder implements SharedFolder {
  private readonly hashes = new Map<string, CachedHash>();
  private readonly hashing = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly folder: ConfinedFolder,
    private readonly chunkSize: number,
  ) {}

  async list(options: ListOptions = {}): Promise<SharedFile[]> {
    const found: SharedFile[] = [];
    await this.walk(this.folder.root, [], found, options.signal);
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (!options.hash) return found;
    const bytesTotal = found.reduce((n, f) => n + f.size, 0);
    let bytesDone = 0;
    const out: SharedFile[] = [];
    for (const [i, file] of found.entries()) {
      const base = bytesDone;
      const digest = await this.hashFile(file, options.signal, (done) => {
        options.onProgress?.({
          filesDone: i,
          filesTotal: found.length,
          bytesDone: base + done,
          bytesTotal,
          current: file.name,
        });
      });
      bytesDone += file.size;
      options.onProgress?.({
        filesDone: i + 1,
        filesTotal: found.length,
        bytesDone,
        bytesTotal,
        current: file.name,
      });
      out.push({ ...file, sha1: digest });
    }
    return out;
  }

  async stat(name: string): Promise<SharedFile | undefined> {
    const full = this.resolve(name);
    let handle: FileHandle;
    try {
      handle = await this.folder.openFile(full, constants.O_RDONLY);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
    try {
      const info = await handle.stat();
      return { name: name, size: info.size, mtimeMs: info.mtimeMs };
    } finally {
      await handle.close();
    }
  }

  async sha1(name: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const file = await this.stat(name);
    if (!file) throw notFound(name);
    return this.hashFile(file, options.signal);
  }

  read(name: string, options: ReadOptions = {}): AsyncIterable<Uint8Array> {
    const full = this.resolve(name);
    const { folder, chunkSize } = this;
    return (async function* () {
      const handle = await openExisting(folder, full, name);
      try {
        const size = (await handle.stat()).size;
        const { start, end } = span(options, size);
        for (let at = start; at < end; ) {
          if (options.signal?.aborted) throw abortErrorFrom(options.signal);
          // A fresh buffer per chunk: the consumer (a socket) owns what it is given.
          const buffer = new Uint8Array(Math.min(chunkSize, end - at));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
          if (bytesRead === 0) {
            throw new P2PError(`${name} shrank while being read`, 'ERR_FILE_CHANGED');
          }
          at += bytesRead;
          yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
        }
      } finally {
        await handle.close();
      }
    })();
  }

  async source(name: string): Promise<ByteSource> {
    const file = await this.stat(name);
    if (!file) throw notFound(name);
    return {
      size: file.size,
      stream: (start, end) => this.read(name, { start, end }),
    };
  }

  async write(name: string, options: WriteOptions = {}): Promise<PartialFile> {
    const full = this.resolve(name);
    if (full.endsWith(PART_SUFFIX))
      throw new UnsafePathError(`${name}: .part files are not shared`);
    const part = full + PART_SUFFIX;
    const flags = constants.O_WRONLY | constants.O_CREAT | (options.resume ? 0 : constants.O_TRUNC);
    const handle = await this.folder.openFile(part, flags);
    let written = options.resume ? (await handle.stat()).size : 0;
    let open = true;
    const ensureOpen = () => {
      if (!open) throw new P2PError(`download of ${name} already finished`, 'ERR_CLOSED');
    };
    const finish = async () => {
      if (!open) return false;
      open = false;
      await handle.close();
      return true;
    };
    const hashes = this.hashes;
    return {
      name: name,
      get written() {
        return written;
      },
      async write(chunk) {
        ensureOpen();
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, written);
          done += bytesWritten;
          written += bytesWritten;
        }
      },
      async commit() {
        ensureOpen();
        await handle.sync();
        await finish();
        // rename() replaces a file or a symlink at `full` itself, never what a symlink points to.
        await rename(part, full);
        hashes.delete(name);
      },
      close: async () => {
        await finish();
      },
      abort: async () => {
        await finish();
        await unlink(part).catch(() => undefined);
      },
    };
  }

  private resolve(name: string): string {
    const full = this.folder.resolve(name);
    if (full.endsWith(PART_SUFFIX)) throw notFound(name);
    return full;
  }

  /** Regular files under `dir` (symlinks followed only to files inside the root). */
  private async walk(
    dir: string,
    prefix: string[],
    out: SharedFile[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (signal?.aborted) throw abortErrorFrom(signal);
    if (prefix.length >= MAX_PATH_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // vanished or unreadable: not shared
    }
    for (const entry of entries) {
      const component = entry.name;
      try {
        checkPathComponent(component);
      } catch {
        continue; // a name no peer could ask for safely
      }
      const full = path.join(dir, component);
      const components = [...prefix, component];
      if (entry.isDirectory()) {
        await this.walk(full, components, out, signal);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        if (component.endsWith(PART_SUFFIX)) continue;
        if (entry.isSymbolicLink()) {
          const target = await realpath(full).catch(() => undefined);
          if (target === undefined || !isInside(this.folder.realRoot, target)) continue;
        }
        const info = await stat(full).catch(() => undefined);
        if (!info?.isFile()) continue;
        out.push({ name: components.join('/'), size: info.size, mtimeMs: info.mtimeMs });
      }
    }
  }

  /** The file's SHA-1 from the cache when size and mtime still match, else computed once. */
  private hashFile(
    file: SharedFile,
    signal: AbortSignal | undefined,
    onBytes?: (done: number) => void,
  ): Promise<Uint8Array> {
    const cached = this.hashes.get(file.name);
    if (cached && cached.size === file.size && cached.mtimeMs === file.mtimeMs) {
      return Promise.resolve(cached.sha1);
    }
    const key = `${file.name}\0${file.size}\0${file.mtimeMs}`;
    let pending = this.hashing.get(key);
    if (!pending) {
      pending = this.computeHash(file, signal, onBytes).finally(() => this.hashing.delete(key));
      this.hashing.set(key, pending);
    }
    return pending;
  }

  private async computeHash(
    file: SharedFile,
    signal: AbortSignal | undefined,
    onBytes?: (done: number) => void,
  ): Promise<Uint8Array> {
    const hash = createHash('sha1');
    const handle = await openExisting(this.folder, this.resolve(file.name), file.name);
    let done = 0;
    let reported = 0;
    try {
      const info = await handle.stat();
      const buffer = new Uint8Array(HASH_BLOCK);
      for (;;) {
        if (signal?.aborted) throw abortErrorFrom(signal);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, done);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
        done += bytesRead;
        if (onBytes && done - reported >= PROGRESS_EVERY) {
          reported = done;
          onBytes(done);
        }
      }
      const digest = hash.digest();
      const sha1 = new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength).slice();
      // Cache under what was actually hashed: a file that changed meanwhile is hashed again.
      if (done === info.size) {
        this.hashes.set(file.name, { size: info.size, mtimeMs: info.mtimeMs, sha1 });
      }
      return sha1;
    } finally {
      await handle.close();
    }
  }
}

async function openExisting(
  folder: ConfinedFolder,
  full: string,
  name: string,
): Promise<FileHandle> {
  try {
    return await folder.openFile(full, constants.O_RDONLY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(name);
    throw error;
  }
}

function notFound(name: string): P2PError {
  return new P2PError(`no shared file ${JSON.stringify(name)}`, 'ERR_NOT_FOUND');
}
