import { P2PError } from '../errors.js';

/** Longest path component accepted, in UTF-8 bytes (NAME_MAX on Linux and most filesystems). */
export const MAX_COMPONENT_BYTES = 255;
/** Most components in one relative path (directories included). */
export const MAX_PATH_DEPTH = 64;

/**
 * A path that would leave its folder, or name something that is not a plain file inside it:
 * `..`, an absolute path, a NUL, a drive letter, a symlink resolving outside. Nothing was read
 * or written.
 */
export class UnsafePathError extends P2PError {
  declare readonly code: 'ERR_UNSAFE_PATH';

  constructor(message: string) {
    super(message, 'ERR_UNSAFE_PATH');
    this.name = 'UnsafePathError';
  }
}

const utf8 = new TextEncoder();

/**
 * Throws UnsafePathError unless `component` is safe as ONE file or directory name inside a
 * folder, on every common OS:
 * - not empty, not made only of dots and spaces (`.`, `..`, and `...`, which Windows reduces to
 *   `..`-like names by stripping trailing dots and spaces);
 * - no `/` or `\` (separators on POSIX and Windows), no NUL or other control characters;
 * - no drive-letter prefix (`C:`), which Windows resolves outside the folder;
 * - at most 255 UTF-8 bytes.
 */
export function checkPathComponent(component: string): void {
  const refuse = (why: string) =>
    new UnsafePathError(`unsafe path component ${JSON.stringify(component)}: ${why}`);
  if (component.length === 0) throw refuse('empty');
  if (/^[. ]+$/.test(component)) throw refuse('only dots and spaces');
  if (component.includes('/') || component.includes('\\')) throw refuse('contains a separator');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(component)) throw refuse('contains a control character');
  if (/^[A-Za-z]:/.test(component)) throw refuse('starts with a drive letter');
  if (utf8.encode(component).length > MAX_COMPONENT_BYTES) {
    throw refuse(`longer than ${MAX_COMPONENT_BYTES} bytes`);
  }
}

/** Checks every component of a relative path, and its depth (UnsafePathError otherwise). */
export function checkPathComponents(components: readonly string[]): void {
  if (components.length === 0) throw new UnsafePathError('empty path');
  if (components.length > MAX_PATH_DEPTH) {
    throw new UnsafePathError(`path deeper than ${MAX_PATH_DEPTH} components`);
  }
  for (const component of components) checkPathComponent(component);
}

/**
 * A relative name (`music/a.mp3`, `/`-separated, as peers send them) as checked components.
 * Absolute names (`/etc/passwd`, `C:\x`), backslashes, `..`, empty components (`a//b`), NUL and
 * other control characters are refused with UnsafePathError.
 */
export function splitSafePath(name: string): string[] {
  if (name.startsWith('/')) throw new UnsafePathError(`absolute path ${JSON.stringify(name)}`);
  const components = name.split('/');
  checkPathComponents(components);
  return components;
}
