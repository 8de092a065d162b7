/**
 * Path confinement on disk, written once for every package that reads or writes files named by
 * peers (a shared folder, BitTorrent's storage): names are checked component by component,
 * resolved lexically under the root, each directory level's real path is checked before
 * anything is created in it (a symlinked directory cannot lead out), and files are opened with
 * O_NOFOLLOW (a symlink in place of a file is followed only when it resolves inside the root).
 */
import { constants, type FileHandle, lstat, mkdir, open, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { P2PError } from '../errors.js';
import { checkPathComponents, splitSafePath, UnsafePathError } from '../folder/path.js';

export interface ConfinedFolderOptions {
  /** Create the root when it is missing (default false: a missing root is an error). */
  create?: boolean;
}

/** True when `candidate` is `root` or lies under it (both absolute, normalised). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** A folder on disk that every path is confined to. */
export class ConfinedFolder {
  /** Directories already checked (and created when asked): checked once each. */
  private readonly checkedDirs = new Set<string>();

  private constructor(
    /** The root as given, made absolute. */
    readonly root: string,
    /** The root with every symlink resolved: what confinement compares against. */
    readonly realRoot: string,
  ) {}

  /** Opens a root folder (P2PError `ERR_NOT_A_FOLDER` when it is a file; ENOENT unless `create`). */
  static async open(root: string, options: ConfinedFolderOptions = {}): Promise<ConfinedFolder> {
    const absolute = path.resolve(root);
    let info = await stat(absolute).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT' || !options.create) throw error;
      return undefined;
    });
    if (!info) {
      await mkdir(absolute, { recursive: true });
      info = await stat(absolute);
    }
    if (!info.isDirectory()) throw new P2PError(`${absolute} is not a folder`, 'ERR_NOT_A_FOLDER');
    return new ConfinedFolder(absolute, await realpath(absolute));
  }

  /**
   * The absolute path of a relative name: a `/`-separated string (as peers send names) or its
   * components (as a torrent lists them). UnsafePathError for `..`, absolute paths, NUL, drive
   * letters, separators inside a component; the result is always strictly under the root.
   */
  resolve(name: string | readonly string[]): string {
    const components = typeof name === 'string' ? splitSafePath(name) : name;
    if (typeof name !== 'string') checkPathComponents(components);
    const full = path.resolve(this.root, ...components);
    if (full === this.root || !isInside(this.root, full)) {
      throw new UnsafePathError(`${components.join('/')} leaves ${this.root}`);
    }
    return full;
  }

  /**
   * Makes sure directory `dir` (under the root) exists and really is inside it: each level is
   * checked (its real path inside the real root) before the next is created in it, so a
   * symlinked directory cannot make us create anything elsewhere. With `create: false` nothing
   * is created (ENOENT for a missing level).
   */
  async ensureDir(dir: string, create: boolean): Promise<void> {
    if (this.checkedDirs.has(dir)) return;
    if (!isInside(this.root, dir)) throw new UnsafePathError(`${dir} is outside ${this.root}`);
    if (dir !== this.root) await this.ensureDir(path.dirname(dir), create);
    if (create) {
      try {
        await mkdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    if (!isInside(this.realRoot, await realpath(dir))) {
      throw new UnsafePathError(`${dir} leads out of ${this.root}`);
    }
    this.checkedDirs.add(dir);
  }

  /**
   * Opens the file at `full` (from `resolve`) with `flags` (O_NOFOLLOW is added). Its directory
   * is checked first (and created when `flags` has O_CREAT). A symlink in place of the file is
   * followed only when it resolves inside the root; otherwise UnsafePathError.
   */
  async openFile(full: string, flags: number, mode = 0o644): Promise<FileHandle> {
    const create = (flags & constants.O_CREAT) !== 0;
    await this.ensureDir(path.dirname(full), create);
    // A FIFO or a device would block or never end: only regular files (or links to them).
    const info = await lstat(full).catch(() => undefined);
    if (info && !info.isFile() && !info.isSymbolicLink()) {
      throw new UnsafePathError(`${full} is not a regular file`);
    }
    try {
      return await open(full, flags | constants.O_NOFOLLOW, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
    }
    const target = await realpath(full).catch(() => undefined);
    if (target === undefined || !isInside(this.realRoot, target)) {
      throw new UnsafePathError(`${full} is a symlink that leads out of ${this.root}`);
    }
    if (!(await stat(target)).isFile()) throw new UnsafePathError(`${full} is not a regular file`);
    return open(target, flags | constants.O_NOFOLLOW, mode);
  }
}
