/**
 * zlib (RFC 1950) through pako, a port of zlib itself: QRP patches (compressor 0x01), deflated
 * GGEP extensions, and the one long-lived stream per direction of a compressed connection
 * (sync-flushed, never finished: spec sheet §2.1). Synchronous, so it runs the same on a real
 * socket and in the simulator.
 */
import { concatBytes, DecodeError } from '@p2pkit/core';
import { Deflate, deflate, Inflate, Z_NO_FLUSH, Z_SYNC_FLUSH } from 'pako';

/**
 * Input is fed to the inflater in slices this large, and the output size is checked as it
 * comes: deflate expands at most ~1032:1, so a "zip bomb" is caught within ~0.5 MiB of the limit
 * instead of after inflating all of it.
 */
const SLICE = 512;

class Bomb extends DecodeError {}

/**
 * Inflates one whole zlib stream. Throws DecodeError when the data is not a complete zlib
 * stream or inflates to more than `maxOutput` bytes.
 */
export function inflateBounded(data: Uint8Array, maxOutput: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let status: number | undefined;
  // Output chunks of at most maxOutput + 1 bytes: one chunk for a table patch, and a bomb is
  // caught at the first chunk past the limit.
  const inflater = new Inflate({ chunkSize: Math.min(16 * 1024, maxOutput + 1) });
  inflater.onData = (chunk) => {
    total += chunk.length;
    if (total > maxOutput) throw new Bomb(`zlib data inflates beyond ${maxOutput} bytes`);
    parts.push(chunk);
  };
  inflater.onEnd = (s) => {
    status = s;
  };
  try {
    for (let i = 0; i < data.length && status === undefined; i += SLICE) {
      inflater.push(data.subarray(i, Math.min(data.length, i + SLICE)), Z_NO_FLUSH);
    }
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError('invalid zlib data', { cause: error });
  }
  if (status === undefined) throw new DecodeError('truncated zlib data');
  if (status !== 0) throw new DecodeError(`invalid zlib data (${inflater.msg || status})`);
  return concatBytes(parts, total);
}

/**
 * One whole zlib stream at level 6, zlib's default and what Java's Deflater writes, with the
 * window sized to the input (2^9..2^15; a 4 KB QRP patch needs no 32 KB window, and allocating
 * one per patch was most of the cost of a leaf joining). Any zlib inflater reads it.
 */
export function deflateZlib(data: Uint8Array): Uint8Array {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(data.length + 1))));
  return deflate(data, { level: 6, windowBits, memLevel: Math.max(1, windowBits - 7) });
}

/** The sending half of a compressed connection: one zlib stream, sync-flushed on demand. */
export class DeflateStream {
  private readonly deflater = new Deflate({ level: 6 });

  constructor(onData: (chunk: Uint8Array) => void) {
    this.deflater.onData = (chunk) => onData(chunk);
  }

  write(bytes: Uint8Array): void {
    this.deflater.push(bytes, Z_NO_FLUSH);
  }

  /** Z_SYNC_FLUSH: everything written so far becomes decodable, on a byte boundary. */
  flush(): void {
    this.deflater.push(new Uint8Array(0), Z_SYNC_FLUSH);
  }
}

/**
 * The receiving half: inflates each chunk as it arrives (in bounded slices, so one chunk cannot
 * balloon), handing out whatever became decodable. DecodeError on a corrupt stream; data after
 * the peer finished its stream (it must never) is an error too.
 */
export class InflateStream {
  private readonly inflater = new Inflate({ chunkSize: 16 * 1024 });
  private ended = false;

  constructor(onData: (chunk: Uint8Array) => void) {
    this.inflater.onData = (chunk) => onData(chunk);
    this.inflater.onEnd = () => {
      this.ended = true;
    };
  }

  write(chunk: Uint8Array): void {
    if (this.ended) throw new DecodeError('data after the end of the compressed stream');
    for (let i = 0; i < chunk.length; i += SLICE) {
      this.inflater.push(chunk.subarray(i, Math.min(chunk.length, i + SLICE)), Z_SYNC_FLUSH);
      if (this.inflater.err) {
        throw new DecodeError(
          `corrupt compressed stream (${this.inflater.msg || this.inflater.err})`,
        );
      }
    }
  }
}
