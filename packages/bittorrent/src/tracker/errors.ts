import { P2PError } from '@p2pkit/core';

/**
 * - `ERR_TRACKER_FAILURE`: the tracker refused (`failure reason`, or a UDP error packet);
 *   `reason` holds its text.
 * - `ERR_TRACKER_RESPONSE`: the reply was garbage (not bencode, missing fields, short packet).
 * - `ERR_TRACKER_HTTP`: an HTTP status other than 200 without a bencoded failure reason.
 * - `ERR_TRACKER_URL`: a URL this client cannot use (scheme, host, no `announce` to scrape).
 * Timeouts, aborts and socket failures are core's TimeoutError, AbortError and NetworkError.
 */
export type TrackerErrorCode =
  | 'ERR_TRACKER_FAILURE'
  | 'ERR_TRACKER_RESPONSE'
  | 'ERR_TRACKER_HTTP'
  | 'ERR_TRACKER_URL';

export class TrackerError extends P2PError {
  declare readonly code: TrackerErrorCode;
  /** The tracker's own words, for ERR_TRACKER_FAILURE. */
  readonly reason: string | undefined;

  constructor(
    message: string,
    code: TrackerErrorCode,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, code, options);
    this.name = 'TrackerError';
    this.reason = options?.reason;
  }
}
