import { P2PError } from '@p2pkit/core';

/**
 * Stable codes of MetainfoError. Callers (and the CLI) branch on these, never on messages.
 * - `ERR_METAINFO_BENCODE`: the bytes are not valid bencode (cause: the BencodeError).
 * - `ERR_METAINFO_INVALID`: a required field is missing or has the wrong type.
 * - `ERR_METAINFO_UNSUPPORTED`: a v2-only torrent (BEP 52), which this package does not handle.
 * - `ERR_METAINFO_PIECE_LENGTH`: piece length not a power of two, or out of range.
 * - `ERR_METAINFO_PIECES`: `pieces` not a multiple of 20 bytes, or not one hash per piece.
 * - `ERR_METAINFO_LENGTH`: a file length negative, too large, or a torrent of zero bytes.
 * - `ERR_METAINFO_ENCODING`: a name or path component that is not valid UTF-8.
 * - `ERR_METAINFO_UNSAFE_PATH`: a path that could escape the download folder or cannot be a
 *   file name (`..`, `.`, empty, absolute, `/` or `\` inside a component, NUL, drive letters).
 * - `ERR_METAINFO_DUPLICATE_PATH`: two files at one path, or a file where a directory must be.
 * - `ERR_METAINFO_SOURCE`: (creation) a source file yielded more or fewer bytes than declared.
 */
export type MetainfoErrorCode =
  | 'ERR_METAINFO_BENCODE'
  | 'ERR_METAINFO_INVALID'
  | 'ERR_METAINFO_UNSUPPORTED'
  | 'ERR_METAINFO_PIECE_LENGTH'
  | 'ERR_METAINFO_PIECES'
  | 'ERR_METAINFO_LENGTH'
  | 'ERR_METAINFO_ENCODING'
  | 'ERR_METAINFO_UNSAFE_PATH'
  | 'ERR_METAINFO_DUPLICATE_PATH'
  | 'ERR_METAINFO_SOURCE';

/** A metainfo (.torrent or info dictionary) that is refused, with a stable `code`. */
export class MetainfoError extends P2PError {
  declare readonly code: MetainfoErrorCode;

  constructor(message: string, code: MetainfoErrorCode, options?: { cause?: unknown }) {
    super(message, code, options);
    this.name = 'MetainfoError';
  }
}
