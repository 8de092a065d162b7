import { type Hasher, sha1 } from '@p2pkit/core';
import { asBytes, asDict, asInt, asList, asString } from '../bencode/access.js';
import { decodeUtf8, toHex } from '../bencode/binary.js';
import { type BencodeDecodeOptions, bdecodeWithSpans } from '../bencode/decode.js';
import { type BDict, BencodeError, type BValue } from '../bencode/types.js';
import { MetainfoError } from './errors.js';
import { checkDistinctPaths, checkPath, checkPathComponent } from './paths.js';
import { isPowerOfTwo, MIN_PIECE_LENGTH } from './piece-length.js';
import type { Metainfo, TorrentFile } from './types.js';

export interface ParseMetainfoOptions {
  /**
   * Accept non-canonical bencode (unsorted keys, leading zeros) and any piece length ≥ 1 instead
   * of a power of two ≥ 16 KiB. The info-hash is always taken over the raw `info` bytes, so it
   * stays right either way (BEP 3). Default false.
   */
  lenient?: boolean;
  /** SHA-1 for the info-hash (default: core's portable `sha1`; pass `runtime.hash` for speed). */
  hasher?: Hasher;
  /** Largest piece length accepted (default 128 MiB): a piece is buffered whole when verified. */
  maxPieceLength?: number;
  /** Most files accepted (default 1,000,000). */
  maxFiles?: number;
  /** Largest input accepted in bytes (default 64 MiB). */
  maxSize?: number;
}

const DEFAULT_MAX_PIECE_LENGTH = 128 * 1024 * 1024;
const DEFAULT_MAX_FILES = 1_000_000;
const defaultHasher: Hasher = { sha1 };

/**
 * Parses and validates a .torrent file (BEP 3, BEP 12 announce-list, BEP 27 private, BEP 19
 * url-list, BEP 47 padding files). Throws MetainfoError (see its codes) on anything refused,
 * including every path that could escape the download folder.
 */
export function parseMetainfo(bytes: Uint8Array, options: ParseMetainfoOptions = {}): Metainfo {
  const decoded = decodeOrThrow(bytes, options);
  const root = asDict(decoded.value);
  if (!root) throw invalid('a torrent must be a dictionary');
  const infoBytes = decoded.rawAt(['info']);
  if (!asDict(root.get('info')) || !infoBytes) throw invalid('missing info dictionary');
  return build(root, infoBytes, options);
}

/**
 * Builds a Metainfo from a raw info dictionary alone (the metadata a magnet link downloads with
 * BEP 9), with optional trackers. Same validation as `parseMetainfo`.
 */
export function parseInfoDictionary(
  infoBytes: Uint8Array,
  options: ParseMetainfoOptions & { announceList?: readonly (readonly string[])[] } = {},
): Metainfo {
  const decoded = decodeOrThrow(infoBytes, options);
  if (!asDict(decoded.value)) throw invalid('the info must be a dictionary');
  const root: BDict = new Map([['info', decoded.value]]);
  const tiers = (options.announceList ?? []).map((t) => [...t]).filter((t) => t.length > 0);
  const meta = build(root, infoBytes, options, tiers);
  return { ...meta, raw: undefined };
}

/** The expected SHA-1 of piece `index` (a view into `pieceHashes`). */
export function pieceHash(meta: Metainfo, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= meta.pieceCount) {
    throw new RangeError(`piece index ${index} out of range 0..${meta.pieceCount - 1}`);
  }
  return meta.pieceHashes.subarray(index * 20, index * 20 + 20);
}

/** Length in bytes of piece `index` (the last one may be shorter). */
export function pieceSize(meta: Metainfo, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= meta.pieceCount) {
    throw new RangeError(`piece index ${index} out of range 0..${meta.pieceCount - 1}`);
  }
  return index === meta.pieceCount - 1 ? meta.length - index * meta.pieceLength : meta.pieceLength;
}

function decodeOrThrow(bytes: Uint8Array, options: ParseMetainfoOptions) {
  const bencodeOptions: BencodeDecodeOptions = { strict: !options.lenient };
  if (options.maxSize !== undefined) bencodeOptions.maxSize = options.maxSize;
  try {
    return bdecodeWithSpans(bytes, bencodeOptions);
  } catch (error) {
    if (error instanceof BencodeError) {
      throw new MetainfoError(`not valid bencode: ${error.message}`, 'ERR_METAINFO_BENCODE', {
        cause: error,
      });
    }
    throw error;
  }
}

function invalid(message: string): MetainfoError {
  return new MetainfoError(message, 'ERR_METAINFO_INVALID');
}

function build(
  root: BDict,
  infoBytes: Uint8Array,
  options: ParseMetainfoOptions,
  tiersOverride?: string[][],
): Metainfo {
  const info = asDict(root.get('info'))!;
  const hasher = options.hasher ?? defaultHasher;
  const maxPieceLength = options.maxPieceLength ?? DEFAULT_MAX_PIECE_LENGTH;
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;

  const piecesField = info.get('pieces');
  if (piecesField === undefined) {
    if (info.has('file tree') || asInt(info.get('meta version')) === 2) {
      throw new MetainfoError(
        'v2-only torrent (BEP 52) without v1 pieces: not supported',
        'ERR_METAINFO_UNSUPPORTED',
      );
    }
    throw invalid('missing info.pieces');
  }
  const name = text(info, 'name', 'info.name');
  checkPathComponent(name, 'torrent name');

  const pieceLength = asInt(info.get('piece length'));
  if (pieceLength === undefined) throw invalid('missing or non-integer info["piece length"]');
  const pieceLengthOk = options.lenient
    ? pieceLength >= 1
    : isPowerOfTwo(pieceLength) && pieceLength >= MIN_PIECE_LENGTH;
  if (!pieceLengthOk || pieceLength > maxPieceLength) {
    throw new MetainfoError(
      `piece length ${pieceLength} refused: must be a power of two from ${MIN_PIECE_LENGTH} to ${maxPieceLength}`,
      'ERR_METAINFO_PIECE_LENGTH',
    );
  }

  const pieceHashes = asBytes(piecesField);
  if (!pieceHashes) throw invalid('info.pieces must be a byte string');
  if (pieceHashes.length % 20 !== 0) {
    throw new MetainfoError(
      `info.pieces is ${pieceHashes.length} bytes, not a multiple of 20`,
      'ERR_METAINFO_PIECES',
    );
  }

  const files: TorrentFile[] = [];
  let total = 0;
  const addFile = (path: string[], length: number, attr: string) => {
    files.push({ path, length, offset: total, attr, padding: attr.includes('p') });
    total += length;
    if (!Number.isSafeInteger(total)) {
      throw new MetainfoError('total length exceeds 2^53 - 1', 'ERR_METAINFO_LENGTH');
    }
  };
  const hasLength = info.has('length');
  const hasFiles = info.has('files');
  if (hasLength === hasFiles) throw invalid('info must have exactly one of length and files');
  if (hasLength) {
    addFile([name], fileLength(info.get('length'), 'info.length'), attrOf(info));
  } else {
    const list = asList(info.get('files'));
    if (!list || list.length === 0) throw invalid('info.files must be a non-empty list');
    if (list.length > maxFiles) throw invalid(`more than ${maxFiles} files`);
    list.forEach((entry, i) => {
      const file = asDict(entry);
      if (!file) throw invalid(`info.files[${i}] is not a dictionary`);
      const length = fileLength(file.get('length'), `info.files[${i}].length`);
      const path = filePath(file, i);
      checkPath(path, `info.files[${i}].path`);
      addFile([name, ...path], length, attrOf(file));
    });
    checkDistinctPaths(files.filter((f) => !f.padding).map((f) => f.path));
  }
  if (total === 0) throw new MetainfoError('torrent has no data (0 bytes)', 'ERR_METAINFO_LENGTH');

  const pieceCount = pieceHashes.length / 20;
  const expected = Math.ceil(total / pieceLength);
  if (pieceCount !== expected) {
    throw new MetainfoError(
      `${pieceCount} piece hashes for ${total} bytes in pieces of ${pieceLength} (expected ${expected})`,
      'ERR_METAINFO_PIECES',
    );
  }

  const announce = asString(root.get('announce'));
  const tiers = tiersOverride ?? announceTiers(root.get('announce-list'));
  const announceList = tiers.length > 0 ? tiers : announce ? [[announce]] : [];
  const urlListField = root.get('url-list');
  const urlList = (asList(urlListField) ?? (urlListField ? [urlListField] : []))
    .map((u) => asString(u))
    .filter((u): u is string => u !== undefined && u.length > 0);

  const infoHash = hasher.sha1(infoBytes);
  return {
    infoHash,
    infoHashHex: toHex(infoHash),
    infoBytes,
    name,
    multiFile: hasFiles,
    pieceLength,
    pieceCount,
    pieceHashes,
    length: total,
    files,
    private: asInt(info.get('private')) === 1,
    announce,
    announceList,
    urlList,
    creationDate: asInt(root.get('creation date')),
    comment: asString(root.get('comment')),
    createdBy: asString(root.get('created by')),
    raw: root,
  };
}

/** `key.utf-8` when present and valid (old clients' convention), else `key`, as UTF-8 text. */
function text(dict: BDict, key: string, what: string): string {
  const preferred = asString(dict.get(`${key}.utf-8`));
  if (preferred !== undefined) return preferred;
  const raw = asBytes(dict.get(key));
  if (!raw) throw invalid(`missing ${what}`);
  const value = decodeUtf8(raw);
  if (value === undefined) {
    throw new MetainfoError(`${what} is not valid UTF-8`, 'ERR_METAINFO_ENCODING');
  }
  return value;
}

function fileLength(value: BValue | undefined, what: string): number {
  if (typeof value === 'bigint') {
    throw new MetainfoError(`${what} exceeds 2^53 - 1`, 'ERR_METAINFO_LENGTH');
  }
  const length = asInt(value);
  if (length === undefined) throw invalid(`missing or non-integer ${what}`);
  if (length < 0) throw new MetainfoError(`${what} is negative`, 'ERR_METAINFO_LENGTH');
  return length;
}

function filePath(file: BDict, index: number): string[] {
  const what = `info.files[${index}].path`;
  const utf8List = asList(file.get('path.utf-8'));
  if (utf8List && utf8List.length > 0) {
    const parts = utf8List.map(asString);
    if (parts.every((p): p is string => p !== undefined)) return parts;
  }
  const list = asList(file.get('path'));
  if (!list) throw invalid(`missing ${what}`);
  return list.map((part) => {
    const raw = asBytes(part);
    if (!raw) throw invalid(`${what} has a component that is not a byte string`);
    const value = decodeUtf8(raw);
    if (value === undefined) {
      throw new MetainfoError(`${what} is not valid UTF-8`, 'ERR_METAINFO_ENCODING');
    }
    return value;
  });
}

function attrOf(dict: BDict): string {
  return asString(dict.get('attr')) ?? '';
}

/** BEP 12 tiers; malformed entries are skipped (advisory data), empty tiers dropped. */
function announceTiers(value: BValue | undefined): string[][] {
  const tiers: string[][] = [];
  for (const tier of asList(value) ?? []) {
    const urls = (asList(tier) ?? [])
      .map((u) => asString(u))
      .filter((u): u is string => u !== undefined && u.length > 0);
    if (urls.length > 0) tiers.push(urls);
  }
  return tiers;
}
