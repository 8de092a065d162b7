/**
 * Push, for holders that cannot be reached: the downloader asks the holder's supernode, which
 * tells its child over their session; the holder dials the downloader and sends one line,
 * `GIVE <push id>` CRLF; then the downloader sends an ordinary HTTP GET on that connection and
 * the holder answers it (core's HTTP on both sides).
 */
import {
  type Address,
  ByteQueue,
  type Connection,
  DecodeError,
  type HttpHandler,
  ProtocolError,
  type Runtime,
  serveHttp,
} from '@p2pkit/core';

/** Longest GIVE line accepted. */
const MAX_GIVE_LINE = 64;

export function encodeGive(pushId: number): Uint8Array {
  return new TextEncoder().encode(`GIVE ${pushId >>> 0}\r\n`);
}

/** The push id of a GIVE line (without its line end); DecodeError for anything else. */
export function parseGive(line: string): number {
  const m = /^GIVE (\d{1,10})$/.exec(line);
  if (!m || Number(m[1]) > 0xffff_ffff)
    throw new DecodeError(`not a GIVE line: ${line.slice(0, 40)}`);
  return Number(m[1]);
}

/**
 * Reads the GIVE line off a fresh connection (`initial`: bytes already read). Resolves with the
 * push id; rejects on a bad line, a close, or the deadline.
 */
export function readGive(
  runtime: Runtime,
  connection: Connection,
  initial: Uint8Array,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const queue = new ByteQueue();
    let done = false;
    const finish = (error: Error | undefined, id?: number) => {
      if (done) return;
      done = true;
      runtime.clock.clearTimeout(timer);
      connection.off('data', onData);
      connection.off('close', onClose);
      if (error) reject(error);
      else resolve(id!);
    };
    const poll = () => {
      try {
        const line = queue.readLine({ maxLength: MAX_GIVE_LINE });
        if (line === undefined) return;
        if (queue.length > 0) throw new ProtocolError('bytes after the GIVE line');
        finish(undefined, parseGive(line));
      } catch (error) {
        finish(error as Error);
      }
    };
    const onData = (chunk: Uint8Array) => {
      queue.append(chunk);
      poll();
    };
    const onClose = () => finish(new ProtocolError('connection closed before the GIVE line'));
    const timer = runtime.clock.setTimeout(
      () => finish(new ProtocolError(`no GIVE line within ${timeoutMs} ms`)),
      timeoutMs,
    );
    connection.on('data', onData);
    connection.on('close', onClose);
    queue.append(initial);
    poll();
  });
}

/**
 * The holder's side: connect to the downloader, say GIVE, then serve its requests on that
 * connection until it closes. Resolves when done; rejects if the dial fails.
 */
export async function give(
  runtime: Runtime,
  to: Address,
  pushId: number,
  handler: HttpHandler,
  timeoutMs: number,
): Promise<void> {
  const connection = await runtime.net.dial(to, { timeoutMs });
  connection.write(encodeGive(pushId));
  await serveHttp(connection, { runtime, handler, idleTimeoutMs: timeoutMs });
}
