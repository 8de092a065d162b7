import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Hasher } from '@p2pkit/core';
import {
  type CreatedTorrent,
  type CreateMetainfoOptions,
  createMetainfo,
  type MetainfoSource,
  type MetainfoSourceFile,
} from '../metainfo/create.js';
import { MetainfoError } from '../metainfo/errors.js';

/** SHA-1 from node:crypto (OpenSSL): the fast path for hashing pieces on Node. */
export const nodeHasher: Hasher = {
  sha1: (data) => {
    const digest = createHash('sha1').update(data).digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  },
};

export interface CreateTorrentFromPathOptions extends Omit<CreateMetainfoOptions, 'hasher'> {
  /** Default: node:crypto SHA-1. */
  hasher?: Hasher;
}

/** Read size for hashing: large enough that syscalls are not the bottleneck. */
const READ_CHUNK = 1024 * 1024;

/**
 * Makes a torrent of a file (single-file torrent named after it) or a directory (multi-file
 * torrent: every regular file below it, in sorted path order; symlinks and special files are
 * skipped so that a torrent never reaches outside the directory). Defaults: piece length by
 * `choosePieceLength`, `created by` "p2pkit", no creation date unless `creationDate` (seconds
 * since the epoch) is given: the library reads no clock, so the same files give the same bytes.
 */
export async function createTorrentFromPath(
  path: string,
  options: CreateTorrentFromPathOptions = {},
): Promise<CreatedTorrent> {
  const root = resolve(path);
  const info = await stat(root);
  const name = basename(root);
  let source: MetainfoSource;
  if (info.isFile()) {
    source = { name, files: [fileSource(root, [], info.size)] };
  } else if (info.isDirectory()) {
    const files: MetainfoSourceFile[] = [];
    await walk(root, [], files);
    if (files.length === 0) {
      throw new MetainfoError(`no files under ${root}`, 'ERR_METAINFO_LENGTH');
    }
    source = { name, files };
  } else {
    throw new MetainfoError(`${root} is neither a file nor a directory`, 'ERR_METAINFO_SOURCE');
  }
  return createMetainfo(source, {
    createdBy: 'p2pkit',
    ...options,
    hasher: options.hasher ?? nodeHasher,
  });
}

async function walk(dir: string, prefix: string[], out: MetainfoSourceFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  // Byte order of the UTF-8 names, as most creators sort (stable across locales).
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    const components = [...prefix, entry.name];
    if (entry.isDirectory()) {
      await walk(full, components, out);
    } else if (entry.isFile()) {
      const size = (await lstat(full)).size;
      out.push(fileSource(full, components, size));
    }
  }
}

function fileSource(file: string, path: string[], length: number): MetainfoSourceFile {
  return {
    path,
    length,
    async *read() {
      // A 0-byte file: createReadStream would still open it; nothing to yield.
      if (length === 0) return;
      for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) {
        yield chunk as Buffer;
      }
    },
  };
}
