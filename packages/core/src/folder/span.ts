import { P2PError } from '../errors.js';
import type { ReadOptions } from './types.js';

/** The [start, end) a ReadOptions asks of a file of `size` bytes; ERR_INVALID_ARGUMENT if outside. */
export function span(options: ReadOptions, size: number): { start: number; end: number } {
  const start = options.start ?? 0;
  const end = options.end ?? size;
  if (
    !(
      Number.isSafeInteger(start) &&
      Number.isSafeInteger(end) &&
      0 <= start &&
      start <= end &&
      end <= size
    )
  ) {
    throw new P2PError(
      `range [${start}, ${end}) outside a file of ${size} bytes`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return { start, end };
}
