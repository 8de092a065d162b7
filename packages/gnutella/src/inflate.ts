import { DecodeError } from '@p2pkit/core';
import { Unzlib, zlibSync } from 'fflate';

/**
 * Input is fed to the inflater in slices this large, and the output size is checked after each:
 * deflate expands at most ~1032:1, so a "zip bomb" is caught within ~0.5 MiB of the limit
 * instead of after inflating all of it.
 */
const SLICE = 512;

/**
 * Inflates a zlib (RFC 1950) stream, as QRP patches (compressor 0x01) and deflated GGEP
 * extensions carry. Throws DecodeError when the data is not a complete zlib stream or inflates
 * to more than `maxOutput` bytes.
 */
export function inflateBounded(data: Uint8Array, maxOutput: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const inflater = new Unzlib((chunk, final) => {
    total += chunk.length;
    if (total > maxOutput) {
      throw new DecodeError(`zlib data inflates beyond ${maxOutput} bytes`);
    }
    parts.push(chunk);
    if (final) ended = true;
  });
  try {
    for (let i = 0; i < data.length; i += SLICE) {
      const end = Math.min(data.length, i + SLICE);
      inflater.push(data.subarray(i, end), end === data.length);
    }
    if (data.length === 0) inflater.push(data, true);
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError('invalid zlib data', { cause: error });
  }
  if (!ended) throw new DecodeError('truncated zlib data');
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** One whole zlib (RFC 1950) stream at level 6, zlib's default and what Java's Deflater writes. */
export function deflateZlib(data: Uint8Array): Uint8Array {
  return zlibSync(data, { level: 6 });
}
