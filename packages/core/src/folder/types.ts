import type { ByteSource } from '../http/server.js';

/** A file in a shared folder. */
export interface SharedFile {
  /** Path relative to the folder, `/`-separated (`music/a.mp3`). */
  readonly name: string;
  readonly size: number;
  /** Modification time in ms (filesystem time; a counter in the memory folder). */
  readonly mtimeMs: number;
  /** SHA-1 of the contents, when asked for (`list({ hash: true })`). */
  readonly sha1?: Uint8Array;
}

/** Progress of hashing a folder: reported after each file and every few MiB. */
export interface HashProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** The file being hashed. */
  readonly current?: string;
}

export interface ListOptions {
  /** Compute (or take from the cache) each file's SHA-1; default false (sizes only). */
  hash?: boolean;
  /** Called as hashing goes: large folders take a while. */
  onProgress?: (progress: HashProgress) => void;
  signal?: AbortSignal;
}

export interface ReadOptions {
  /** First byte (default 0). */
  start?: number;
  /** One past the last byte (default: the end of the file). */
  end?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  /**
   * Continue a `.part` file left by an earlier, interrupted download (its length is `written`);
   * default false: start from zero.
   */
  resume?: boolean;
}

/**
 * A download in progress: bytes go to `<name>.part`, which becomes `<name>` only on `commit()`,
 * so a half-written file never appears in the share (nor in `list()`).
 */
export interface PartialFile {
  /** The final name. */
  readonly name: string;
  /** Bytes in the `.part` file so far (where a resumed download continues). */
  readonly written: number;
  /** Appends a chunk (the caller may reuse it once the promise settles). */
  write(chunk: Uint8Array): Promise<void>;
  /** Renames `.part` to the final name (replacing an older file of that name). */
  commit(): Promise<void>;
  /** Stops, keeping the `.part` file for a later resume. */
  close(): Promise<void>;
  /** Stops and deletes the `.part` file. */
  abort(): Promise<void>;
}

/**
 * A folder that a node shares and downloads into, confined to its root: every name is checked
 * (UnsafePathError, code ERR_UNSAFE_PATH: `..`, absolute paths, NUL, symlinks resolving
 * outside), and nothing is read or written outside. `openSharedFolder` (in
 * `@p2pkit/core/node`) is the filesystem one; `createMemoryFolder` the simulator's.
 */
export interface SharedFolder {
  /** Every shared file (`.part` files excluded), sorted by name. */
  list(options?: ListOptions): Promise<SharedFile[]>;
  /** One file's size and time, or undefined when it is not there. */
  stat(name: string): Promise<SharedFile | undefined>;
  /** A file's SHA-1, computed once per size+mtime and cached. */
  sha1(name: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** The bytes [start, end) of a file, as chunks read at the consumer's pace. */
  read(name: string, options?: ReadOptions): AsyncIterable<Uint8Array>;
  /**
   * A file as a ByteSource (its size, and any range as a stream): what `createHttpServer`
   * serves with Range support. P2PError `ERR_NOT_FOUND` when it is not there.
   */
  source(name: string): Promise<ByteSource>;
  /** Starts (or resumes) a download into `<name>.part`. */
  write(name: string, options?: WriteOptions): Promise<PartialFile>;
}

/** Suffix of files being downloaded. */
export const PART_SUFFIX = '.part';
