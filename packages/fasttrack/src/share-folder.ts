/**
 * Hashing a shared folder: every file's UUHash, piece hashes and root in one read, as the
 * metadata a node uploads to its supernode and the pieces list it serves at `/.pieces=`.
 */
import type { Hasher, SharedFolder } from '@p2pkit/core';
import type { LocalFile } from './options.js';
import { ContentHasher } from './uuhash.js';
import { MAX_TEXT_LENGTH } from './wire.js';

export interface HashFolderOptions {
  signal?: AbortSignal;
  /** Called after each file with the files done and the total. */
  onProgress?: (done: number, total: number, name: string) => void;
}

/** The folder's files (names of at most 255 UTF-8 bytes; `.part` downloads left out). */
export async function hashFolder(
  folder: SharedFolder,
  hash: Hasher,
  options: HashFolderOptions = {},
): Promise<LocalFile[]> {
  const listed = await folder.list();
  const files = listed.filter(
    (f) => !f.name.endsWith('.part') && new TextEncoder().encode(f.name).length <= MAX_TEXT_LENGTH,
  );
  const out: LocalFile[] = [];
  for (const f of files) {
    options.signal?.throwIfAborted();
    const hasher = new ContentHasher(f.size, hash);
    const reader = folder.read(f.name, options.signal ? { signal: options.signal } : {});
    for await (const chunk of reader) hasher.update(chunk);
    const { uuhash, root, pieces } = hasher.digest();
    out.push({ uuhash, root, pieces, size: f.size, name: f.name, path: f.name, tags: {} });
    options.onProgress?.(out.length, files.length, f.name);
  }
  return out;
}
