import type { BDict } from '../bencode/types.js';

/** One file of a torrent, in the order the pieces cover them. */
export interface TorrentFile {
  /**
   * Path relative to the download folder, already checked safe: `[name]` for a single-file
   * torrent, `[name, ...components]` for a multi-file torrent (its top-level directory first).
   */
  readonly path: readonly string[];
  /** Bytes. */
  readonly length: number;
  /** Offset of the file's first byte in the torrent's concatenated data. */
  readonly offset: number;
  /** BEP 47 `attr` string (`p` padding, `x` executable, `h` hidden, `l` symlink), or ''. */
  readonly attr: string;
  /** A BEP 47 padding file (`attr` has `p`): zeros, never written to disk. */
  readonly padding: boolean;
}

/** A parsed, validated v1 torrent. */
export interface Metainfo {
  /** SHA-1 of the exact `info` bytes found in the input (BEP 3), 20 bytes. */
  readonly infoHash: Uint8Array;
  /** `infoHash` as 40 lower-case hex chars. */
  readonly infoHashHex: string;
  /** The raw bencoded info dictionary (what BEP 9 sends as the metadata). */
  readonly infoBytes: Uint8Array;
  /** Display name; for a single file its file name, else the top-level directory name. */
  readonly name: string;
  /** True for a multi-file torrent (`files` list); its files live under the `name` directory. */
  readonly multiFile: boolean;
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** Concatenated 20-byte SHA-1s, one per piece (use `pieceHash(meta, i)`). */
  readonly pieceHashes: Uint8Array;
  /** Total bytes of all files (padding included). */
  readonly length: number;
  readonly files: readonly TorrentFile[];
  /** BEP 27 `private: 1` in the info dictionary. */
  readonly private: boolean;
  /** The `announce` URL, if any. */
  readonly announce: string | undefined;
  /**
   * Tracker tiers (BEP 12): `announce-list` when present and non-empty, else `[[announce]]`,
   * else `[]` (a trackerless torrent).
   */
  readonly announceList: readonly (readonly string[])[];
  /** BEP 19 web seeds (`url-list`). */
  readonly urlList: readonly string[];
  /** Seconds since the Unix epoch. */
  readonly creationDate: number | undefined;
  readonly comment: string | undefined;
  readonly createdBy: string | undefined;
  /** The whole decoded torrent (undefined when built from an info dictionary alone). */
  readonly raw: BDict | undefined;
}
