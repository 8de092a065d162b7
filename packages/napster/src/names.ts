/**
 * File names that cross the network. A client shares names relative to its folder, with `/`
 * between directories; a name that climbs out (`..`), starts at a root (`/x`, `\x`, `C:`) or
 * carries a NUL or a double quote (which the protocol cannot quote) is never shared, never
 * served, and never used to build a local path.
 */

/** True for a relative name with no `..` part, no root, no drive letter, no NUL, no `"`. */
export function isSafeName(name: string): boolean {
  if (name.length === 0 || name.includes('\0') || name.includes('"')) return false;
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return false;
  for (const part of name.split(/[\\/]/)) {
    if (part === '..' || part === '') return false;
  }
  return true;
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
