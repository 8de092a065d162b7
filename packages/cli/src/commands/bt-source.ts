/** What `bt info`, `bt get` and `bt seed` take: a .torrent file or a magnet link. */
import { readFile } from 'node:fs/promises';
import {
  MagnetError,
  type MagnetLink,
  type Metainfo,
  MetainfoError,
  parseMagnet,
  parseMetainfo,
} from '@p2pkit/bittorrent';
import type { Runtime } from '@p2pkit/core';

/** A Node system error (`ENOENT`, `EACCES`, ...). */
export function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  const code: unknown = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/**
 * A one-line description of an error for a user: Node's system errors with their path (Node's
 * own message has it; an error from a file handle does not), others with their message.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (isNodeError(error) && error.path && !error.message.includes(error.path)) {
    return `${error.message} (${error.path})`;
  }
  return error.message;
}

/**
 * Reads a .torrent (or parses a magnet URI); a refusal (unreadable file, malformed metainfo or
 * link) is printed as `<prefix>: <source>: <why>` and gives undefined.
 */
export async function loadSource(
  prefix: string,
  source: string,
  runtime: Pick<Runtime, 'hash'>,
  print: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<Metainfo | MagnetLink | undefined> {
  try {
    if (/^magnet:/i.test(source)) return parseMagnet(source);
    return parseMetainfo(await readFile(source), { hasher: runtime.hash });
  } catch (error) {
    if (error instanceof MetainfoError || error instanceof MagnetError || isNodeError(error)) {
      print(`${prefix}: ${source}: ${describeError(error)}`);
      return undefined;
    }
    throw error;
  }
}
