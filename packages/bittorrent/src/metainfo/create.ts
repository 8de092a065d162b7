import { type Hasher, throwIfAborted } from '@p2pkit/core';
import { bencode } from '../bencode/encode.js';
import type { BEncodable } from '../bencode/types.js';
import { MetainfoError } from './errors.js';
import { parseMetainfo } from './parse.js';
import { checkDistinctPaths, checkPath, checkPathComponent } from './paths.js';
import { choosePieceLength, isPowerOfTwo, MIN_PIECE_LENGTH } from './piece-length.js';
import type { Metainfo } from './types.js';

/** One file to put in a torrent. */
export interface MetainfoSourceFile {
  /**
   * Path below the torrent's top-level directory (`['docs', 'a.txt']`). For a single-file
   * torrent: `[]` (the file is then named by `MetainfoSource.name`).
   */
  readonly path: readonly string[];
  /** Exact length in bytes; reading must yield exactly this many. */
  readonly length: number;
  /** The file's bytes, in order, in chunks of any size. Called once. */
  read(): AsyncIterable<Uint8Array>;
}

/**
 * What to make a torrent of. A single-file torrent is one file with `path: []`; anything else is
 * a multi-file torrent whose top-level directory is `name`. Files are hashed in the given order.
 */
export interface MetainfoSource {
  readonly name: string;
  readonly files: readonly MetainfoSourceFile[];
}

export interface CreateMetainfoOptions {
  /** SHA-1 for the pieces: `runtime.hash` (node:crypto on the real runtime). */
  hasher: Hasher;
  /** Tracker URL (`announce`). */
  announce?: string;
  /** BEP 12 tiers; written as `announce-list` (and its first URL as `announce` if not given). */
  announceList?: readonly (readonly string[])[];
  /** Bytes per piece: a power of two ≥ 16 KiB. Default `choosePieceLength(total)`. */
  pieceLength?: number;
  /** BEP 27 private flag. */
  private?: boolean;
  comment?: string;
  createdBy?: string;
  /** Seconds since the Unix epoch. Omitted when absent (creation stays reproducible). */
  creationDate?: number;
  /** BEP 19 web seeds. */
  urlList?: readonly string[];
  /** Called after each piece is hashed with the bytes hashed so far and the total. */
  onProgress?: (hashed: number, total: number) => void;
  signal?: AbortSignal;
}

/** A freshly made torrent: the .torrent bytes and their parsed form. */
export interface CreatedTorrent {
  readonly torrent: Uint8Array;
  readonly metainfo: Metainfo;
}

/**
 * Makes a v1 metainfo (BEP 3) from files read through `source`. Refuses names and paths that
 * `parseMetainfo` would refuse (MetainfoError), and a source that yields more or fewer bytes than
 * it declared (`ERR_METAINFO_SOURCE`). Pieces are hashed as the data streams by: memory use is
 * one piece plus the reader's chunk.
 */
export async function createMetainfo(
  source: MetainfoSource,
  options: CreateMetainfoOptions,
): Promise<CreatedTorrent> {
  checkPathComponent(source.name, 'torrent name');
  const single = source.files.length === 1 && source.files[0]!.path.length === 0;
  if (source.files.length === 0) {
    throw new MetainfoError('no files to put in the torrent', 'ERR_METAINFO_LENGTH');
  }
  if (!single) {
    for (const file of source.files) checkPath(file.path);
    checkDistinctPaths(source.files.map((f) => f.path));
  }
  let total = 0;
  for (const file of source.files) {
    if (!Number.isSafeInteger(file.length) || file.length < 0) {
      throw new MetainfoError(`invalid file length ${file.length}`, 'ERR_METAINFO_LENGTH');
    }
    total += file.length;
  }
  if (total === 0 || !Number.isSafeInteger(total)) {
    throw new MetainfoError(`invalid total length ${total}`, 'ERR_METAINFO_LENGTH');
  }
  const pieceLength = options.pieceLength ?? choosePieceLength(total);
  if (!isPowerOfTwo(pieceLength) || pieceLength < MIN_PIECE_LENGTH) {
    throw new MetainfoError(
      `piece length ${pieceLength} must be a power of two >= ${MIN_PIECE_LENGTH}`,
      'ERR_METAINFO_PIECE_LENGTH',
    );
  }

  const pieces = await hashPieces(source, total, pieceLength, options);

  const info: Record<string, BEncodable | undefined> = {
    name: source.name,
    'piece length': pieceLength,
    pieces,
    private: options.private ? 1 : undefined,
  };
  if (single) info.length = total;
  else info.files = source.files.map((f) => ({ length: f.length, path: [...f.path] }));

  const tiers = (options.announceList ?? []).map((t) => [...t]).filter((t) => t.length > 0);
  const announce = options.announce ?? tiers[0]?.[0];
  const torrent = bencode({
    announce,
    'announce-list': tiers.length > 0 ? tiers : undefined,
    comment: options.comment,
    'created by': options.createdBy,
    'creation date': options.creationDate,
    info,
    'url-list': options.urlList && options.urlList.length > 0 ? [...options.urlList] : undefined,
  });
  return { torrent, metainfo: parseMetainfo(torrent, { hasher: options.hasher }) };
}

async function hashPieces(
  source: MetainfoSource,
  total: number,
  pieceLength: number,
  options: CreateMetainfoOptions,
): Promise<Uint8Array> {
  const pieceCount = Math.ceil(total / pieceLength);
  const hashes = new Uint8Array(pieceCount * 20);
  const piece = new Uint8Array(Math.min(pieceLength, total));
  let fill = 0;
  let index = 0;
  let hashed = 0;
  const flush = () => {
    hashes.set(options.hasher.sha1(piece.subarray(0, fill)), index * 20);
    index++;
    hashed += fill;
    fill = 0;
    options.onProgress?.(hashed, total);
  };
  for (const file of source.files) {
    let seen = 0;
    for await (const chunk of file.read()) {
      throwIfAborted(options.signal);
      seen += chunk.length;
      if (seen > file.length) break;
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(chunk.length - at, piece.length - fill);
        piece.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (fill === piece.length) flush();
      }
    }
    if (seen !== file.length) {
      throw new MetainfoError(
        `source file ${JSON.stringify(file.path.join('/') || source.name)} yielded ${seen > file.length ? 'more' : seen} bytes, declared ${file.length} (changed while reading?)`,
        'ERR_METAINFO_SOURCE',
      );
    }
  }
  if (fill > 0) flush();
  return hashes;
}

/**
 * A MetainfoSource over bytes in memory (tests, the simulator). `files` with one entry whose path
 * is `[]` makes a single-file torrent.
 */
export function memorySource(
  name: string,
  files: readonly { path: readonly string[]; data: Uint8Array }[],
): MetainfoSource {
  return {
    name,
    files: files.map(({ path, data }) => ({
      path,
      length: data.length,
      async *read() {
        // Chunks of 64 KiB, like a file stream, so piece boundaries inside chunks are exercised.
        for (let at = 0; at < data.length; at += 65536) yield data.subarray(at, at + 65536);
      },
    })),
  };
}
