import type { SimConnection } from './connection.js';
import type { Engine } from './engine.js';
import type { SimHost } from './host.js';
import { K_DELIVER, K_SEGMENT, K_UPLINK, K_WAKE } from './kinds.js';

/**
 * Simulated TCP-like streams: the byte pipes and their time model (connection.ts has the ends).
 *
 * A connection is two Pipes, one per direction. A pipe holds the bytes its writer handed over,
 * from the first byte the reader has not consumed to the last byte written, and four counters
 * split them: [consumed, delivered) wait in the receive buffer (reader paused or not listening
 * yet), [delivered, serialized) are in flight, [serialized, written) are queued at the sender
 * (`writableLength`). Bytes are never copied on the way, except to merge pieces of several
 * writes into one `data` chunk.
 *
 * Time model (see README, "Bandwidth model"):
 * - the sender's uplink serializes segments of at most `segmentSize` bytes, one at a time, at
 *   the host's upload rate, taking them round-robin from every pipe that has data and window
 *   (so concurrent connections share the upload fairly, by segment);
 * - a segment then travels the link's latency (per-pipe arrivals never overtake each other);
 * - the receiver's downlink is a FIFO queue drained at the host's download rate;
 * - flow control: at most `window` bytes per pipe may be sent and not yet consumed by the
 *   reading application; consumption is acknowledged after the reverse latency. A paused
 *   reader therefore stops the sender, whose queue then grows past the high-water mark
 *   (write() → false) until the reader resumes ('drain').
 * Unlimited bandwidth (the default) skips the uplink and downlink queues, not the window.
 */

export const FIN_NONE = 0;
export const FIN_QUEUED = 1;
export const FIN_SENT = 2;
const EMPTY = new Uint8Array(0);

/** One direction of a connection: writer `src` to reader `dst`. */
export class Pipe {
  readonly engine: Engine;
  readonly src: SimConnection;
  readonly srcHost: SimHost;
  readonly srcIndex: number;
  readonly dstIndex: number;
  /** The reading end; set when the connection is accepted. */
  dst: SimConnection | undefined;

  /** Byte FIFO from `consumed` to `written`. */
  buf: Uint8Array[] = [];
  head = 0;
  headOffset = 0;
  written = 0;
  serialized = 0;
  delivered = 0;
  consumed = 0;
  /** Consumption the sender knows of (acknowledged). */
  acked = 0;
  /** Pending acknowledgements: arrival times and cumulative consumed counts. */
  ackTimes: number[] = [];
  ackValues: number[] = [];
  ackHead = 0;
  lastAck = 0;
  /** Arrival time of the latest segment: later ones never arrive earlier. */
  lastArrival = 0;
  fin = FIN_NONE;
  finArrived = false;
  /** Nothing more is sent (writer destroyed, reset, or crashed). */
  reset = false;
  inRing = false;
  wakePending = false;
  waitingAck = false;
  stalled = false;

  constructor(src: SimConnection, dstIndex: number) {
    this.src = src;
    this.srcHost = src.owner;
    this.engine = src.owner.engine;
    this.srcIndex = src.owner.index;
    this.dstIndex = dstIndex;
  }
}

/** Data was written or FIN queued, or credit may have come back: send what may be sent. */
export function pump(pipe: Pipe): void {
  if (pipe.reset) return;
  const link = pipe.srcHost.link;
  if (link === undefined || link.upload === Number.POSITIVE_INFINITY) {
    sendUnlimited(pipe);
    return;
  }
  if (!pipe.inRing) {
    (link.ring ??= []).push(pipe);
    pipe.inRing = true;
  }
  if (!link.uplinkBusy) serveUplink(pipe.srcHost);
}

/** Unlimited upload: every segment the window allows leaves now. */
function sendUnlimited(pipe: Pipe): void {
  const engine = pipe.engine;
  if (engine.fabric.rules && engine.fabric.blocked(pipe.srcIndex, pipe.dstIndex)) {
    stall(pipe);
    return;
  }
  const now = engine.now;
  refreshAcks(pipe, now);
  const segment = engine.segmentSize;
  const window = engine.window;
  for (;;) {
    const queued = pipe.written - pipe.serialized;
    if (queued > 0) {
      const credit = window - (pipe.serialized - pipe.acked);
      if (credit <= 0) {
        waitForAck(pipe);
        break;
      }
      const size = Math.min(queued, credit, segment);
      emitSegment(pipe, size, now, size === queued && pipe.fin === FIN_QUEUED);
    } else {
      if (pipe.fin === FIN_QUEUED) emitSegment(pipe, 0, now, true);
      break;
    }
  }
  afterSend(pipe);
}

/** Finite upload: serialize the next segment, round-robin over the host's busy pipes. */
export function serveUplink(host: SimHost): void {
  const link = host.link!;
  const ring = link.ring;
  const engine = host.engine;
  const now = engine.now;
  while (ring && ring.length > 0) {
    if (link.ringNext >= ring.length) link.ringNext = 0;
    const i = link.ringNext;
    const pipe = ring[i]!;
    if (pipe.reset) {
      removeFromRing(ring, i, pipe);
      continue;
    }
    if (engine.fabric.rules && engine.fabric.blocked(pipe.srcIndex, pipe.dstIndex)) {
      removeFromRing(ring, i, pipe);
      stall(pipe);
      continue;
    }
    refreshAcks(pipe, now);
    const queued = pipe.written - pipe.serialized;
    let size = 0;
    let fin = false;
    if (queued > 0) {
      const credit = engine.window - (pipe.serialized - pipe.acked);
      if (credit <= 0) {
        removeFromRing(ring, i, pipe);
        waitForAck(pipe);
        continue;
      }
      size = Math.min(queued, credit, engine.segmentSize);
      fin = size === queued && pipe.fin === FIN_QUEUED;
    } else if (pipe.fin === FIN_QUEUED) {
      fin = true;
    } else {
      removeFromRing(ring, i, pipe);
      continue;
    }
    const done = now + (size * 1000) / link.upload;
    emitSegment(pipe, size, done, fin);
    if (pipe.written === pipe.serialized && pipe.fin !== FIN_QUEUED) removeFromRing(ring, i, pipe);
    else link.ringNext = i + 1;
    link.uplinkBusy = true;
    const q = engine.queue;
    const slot = q.alloc(K_UPLINK);
    q.a[slot] = host;
    q.push(done, slot);
    afterSend(pipe);
    return;
  }
  link.uplinkBusy = false;
}

function removeFromRing(ring: Pipe[], i: number, pipe: Pipe): void {
  ring.splice(i, 1);
  pipe.inRing = false;
}

/** Puts a segment on the wire; it arrives after the link latency, never before its predecessor. */
function emitSegment(pipe: Pipe, size: number, sentAt: number, fin: boolean): void {
  pipe.serialized += size;
  if (fin) pipe.fin = FIN_SENT;
  const engine = pipe.engine;
  let t = sentAt + engine.fabric.delay(pipe.srcIndex, pipe.dstIndex);
  if (t < pipe.lastArrival) t = pipe.lastArrival;
  pipe.lastArrival = t;
  const q = engine.queue;
  const slot = q.alloc(K_SEGMENT);
  q.a[slot] = pipe;
  q.n[slot] = size;
  q.x[slot] = fin ? 1 : 0;
  q.push(t, slot);
}

function afterSend(pipe: Pipe): void {
  const writer = pipe.src;
  if (writer.needDrain && pipe.written - pipe.serialized < pipe.engine.highWaterMark)
    writer.scheduleDrain();
  if (pipe.fin === FIN_SENT) writer.maybeClose();
}

/** A segment arrives at the receiver's access link (K_SEGMENT) or leaves its downlink (K_DELIVER). */
export function onSegment(engine: Engine, slot: number, queued: boolean): void {
  const q = engine.queue;
  const pipe = q.a[slot] as Pipe;
  const size = q.n[slot]!;
  const fin = q.x[slot]! === 1;
  const reader = pipe.dst;
  if (!reader || reader.destroyed_ || !reader.owner.alive_) {
    q.release(slot);
    return;
  }
  const link = reader.owner.link;
  if (!queued && link !== undefined && link.download !== Number.POSITIVE_INFINITY) {
    let t = link.downlinkFree;
    if (t < engine.now) t = engine.now;
    t += (size * 1000) / link.download;
    link.downlinkFree = t;
    q.kind[slot] = K_DELIVER;
    q.push(t, slot);
    return;
  }
  q.release(slot);
  pipe.delivered += size;
  if (fin) pipe.finArrived = true;
  engine.dirty = true; // the reader's listeners run
  reader.flush();
}

/** The reader consumed bytes: the sender learns of it one reverse latency later. */
export function acknowledge(pipe: Pipe): void {
  const engine = pipe.engine;
  let t = engine.now + engine.fabric.delay(pipe.dstIndex, pipe.srcIndex);
  if (t < pipe.lastAck) t = pipe.lastAck;
  pipe.lastAck = t;
  pipe.ackTimes.push(t);
  pipe.ackValues.push(pipe.consumed);
  if (pipe.waitingAck && !pipe.wakePending) {
    pipe.waitingAck = false;
    scheduleWake(pipe, t);
  }
}

function refreshAcks(pipe: Pipe, now: number): void {
  const times = pipe.ackTimes;
  let h = pipe.ackHead;
  const n = times.length;
  while (h < n && times[h]! <= now) {
    pipe.acked = pipe.ackValues[h]!;
    h++;
  }
  if (h === n) {
    if (n > 0) {
      times.length = 0;
      pipe.ackValues.length = 0;
    }
    h = 0;
  } else if (h > 1024) {
    times.splice(0, h);
    pipe.ackValues.splice(0, h);
    h = 0;
  }
  pipe.ackHead = h;
}

function waitForAck(pipe: Pipe): void {
  if (pipe.wakePending) return;
  if (pipe.ackHead < pipe.ackTimes.length) scheduleWake(pipe, pipe.ackTimes[pipe.ackHead]!);
  else pipe.waitingAck = true;
}

function scheduleWake(pipe: Pipe, time: number): void {
  pipe.wakePending = true;
  const q = pipe.engine.queue;
  const slot = q.alloc(K_WAKE);
  q.a[slot] = pipe;
  q.push(time, slot);
}

/** K_WAKE. */
export function onWake(pipe: Pipe): void {
  pipe.wakePending = false;
  pump(pipe);
}

/** The link is partitioned or held: the pipe waits (as TCP retransmitting) until it clears. */
function stall(pipe: Pipe): void {
  if (pipe.stalled) return;
  pipe.stalled = true;
  pipe.engine.fabric.stalled.push(pipe);
}

/** Re-tries stalled pipes after heal() or release(). */
export function unstall(pipes: Pipe[]): void {
  for (const pipe of pipes) {
    pipe.stalled = false;
    pump(pipe);
  }
}

/**
 * Takes up to `max` bytes from the head of the pipe's FIFO: the head piece (or a view of it)
 * when `coalesce` is off or it suffices, else one merged copy of `max` bytes.
 */
export function take(pipe: Pipe, max: number, coalesce: boolean): Uint8Array {
  const buf = pipe.buf;
  let chunk = buf[pipe.head]!;
  let offset = pipe.headOffset;
  const available = chunk.length - offset;
  if (available >= max || !coalesce) {
    const n = Math.min(available, max);
    const out = offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n);
    advance(pipe, n);
    return out;
  }
  const out = new Uint8Array(max);
  let filled = 0;
  while (filled < max) {
    chunk = buf[pipe.head]!;
    offset = pipe.headOffset;
    const n = Math.min(chunk.length - offset, max - filled);
    out.set(n === chunk.length ? chunk : chunk.subarray(offset, offset + n), filled);
    filled += n;
    advance(pipe, n);
  }
  return out;
}

function advance(pipe: Pipe, n: number): void {
  pipe.consumed += n;
  const buf = pipe.buf;
  let offset = pipe.headOffset + n;
  let head = pipe.head;
  while (head < buf.length && offset >= buf[head]!.length) {
    offset -= buf[head]!.length;
    buf[head] = EMPTY;
    head++;
  }
  if (head === buf.length) {
    buf.length = 0;
    head = 0;
  } else if (head > 1024 && head * 2 > buf.length) {
    buf.splice(0, head);
    head = 0;
  }
  pipe.head = head;
  pipe.headOffset = offset;
}
