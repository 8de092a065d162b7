import { utf8 } from '../bencode/binary.js';
import { MetainfoError } from './errors.js';

/** Longest path component accepted, in UTF-8 bytes (NAME_MAX on Linux and most filesystems). */
export const MAX_COMPONENT_BYTES = 255;
/** Most components in one file path (directories included). */
export const MAX_PATH_DEPTH = 64;

/**
 * Throws MetainfoError `ERR_METAINFO_UNSAFE_PATH` unless `component` is safe as ONE file or
 * directory name inside the download folder, on every common OS:
 * - not empty, not made only of dots and spaces (`.`, `..`, and `...`, which Windows reduces to
 *   `..`-like names by stripping trailing dots and spaces);
 * - no `/` or `\` (separators on POSIX and Windows), no NUL or other C0 control characters;
 * - no drive-letter prefix (`C:`), which Windows resolves outside the folder;
 * - at most 255 UTF-8 bytes.
 * Windows device names (CON, AUX, ...) are not refused: they cannot escape the folder, and real
 * torrents (the Linux sources have `aux.c`) contain them; storage on Windows must map them.
 */
export function checkPathComponent(component: string, what = 'path component'): void {
  const refuse = (why: string) =>
    new MetainfoError(
      `unsafe ${what} ${JSON.stringify(component)}: ${why}`,
      'ERR_METAINFO_UNSAFE_PATH',
    );
  if (component.length === 0) throw refuse('empty');
  if (/^[. ]+$/.test(component)) throw refuse('only dots and spaces');
  if (component.includes('/') || component.includes('\\')) throw refuse('contains a separator');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(component)) throw refuse('contains a control character');
  if (/^[A-Za-z]:/.test(component)) throw refuse('starts with a drive letter');
  if (utf8(component).length > MAX_COMPONENT_BYTES) {
    throw refuse(`longer than ${MAX_COMPONENT_BYTES} bytes`);
  }
}

/** Checks every component of a relative path, and its depth. */
export function checkPath(components: readonly string[], what = 'file path'): void {
  if (components.length === 0) {
    throw new MetainfoError(`unsafe ${what}: no components`, 'ERR_METAINFO_UNSAFE_PATH');
  }
  if (components.length > MAX_PATH_DEPTH) {
    throw new MetainfoError(
      `unsafe ${what}: deeper than ${MAX_PATH_DEPTH} components`,
      'ERR_METAINFO_UNSAFE_PATH',
    );
  }
  for (const component of components) checkPathComponent(component, `component of ${what}`);
}

/**
 * Throws `ERR_METAINFO_DUPLICATE_PATH` when two paths are equal or one is a directory prefix of
 * another (a file `a` and a file `a/b` cannot both exist).
 */
export function checkDistinctPaths(paths: readonly (readonly string[])[]): void {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const path of paths) {
    const key = path.join('/');
    if (files.has(key) || dirs.has(key)) {
      throw new MetainfoError(
        `duplicate path ${JSON.stringify(key)}`,
        'ERR_METAINFO_DUPLICATE_PATH',
      );
    }
    files.add(key);
    for (let i = 1; i < path.length; i++) {
      const dir = path.slice(0, i).join('/');
      if (files.has(dir)) {
        throw new MetainfoError(
          `path ${JSON.stringify(key)} goes through the file ${JSON.stringify(dir)}`,
          'ERR_METAINFO_DUPLICATE_PATH',
        );
      }
      dirs.add(dir);
    }
  }
}
