/**
 * File names that cross the network. A client shares names relative to its folder, with `/`
 * between directories; a name that climbs out (`..`), starts at a root (`/x`, `\x`, `C:`) or
 * carries a NUL or a double quote (which the protocol cannot quote) is never shared, never
 * served, and never used to build a local path.
 */
import { splitSafePath } from '@p2pkit/core';

/**
 * True for a name core's folders accept (splitSafePath: relative, `/`-separated, no `..`, no
 * drive letter, no control character) that the protocol can also carry (no `"`).
 */
export function isSafeName(name: string): boolean {
  if (name.includes('"')) return false;
  try {
    splitSafePath(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The last component of a remote name (peers send Windows paths such as
 * `C:\MP3\Band - Song.mp3`), cleaned to be a safe local file name: control characters and
 * path separators replaced, never `.`/`..`/empty.
 */
export function localName(remote: string): string {
  const base = remote.split(/[\\/]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip.
  const clean = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim();
  if (clean === '' || clean === '.' || clean === '..') return 'download';
  return clean;
}
