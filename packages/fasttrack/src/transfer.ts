/**
 * The upload side: HTTP/1.1 on the node's port (core's server), as Kazaa served files:
 *
 * - `GET /.hash=<40 hex UUHash>`: the file, with Range (206) for multi-source downloads;
 * - `GET /.pieces=<40 hex UUHash>`: its piece hashes (20 bytes per 256 KiB piece), which the
 *   downloader checks against the piece root from the search result;
 * - `GET /.probe=<bytes>`: up to 256 KiB of zeros, what a supernode times to measure a
 *   candidate's upload capacity.
 *
 * Uploads take a slot; when all are busy, requests wait in a queue ordered by the requester's
 * participation level, which the node asks its supernode for (never the requester).
 */
import {
  type Address,
  type ByteSource,
  type HttpHandler,
  type HttpServerRequest,
  type HttpServerResponse,
  parseRange,
  type SharedFolder,
} from '@p2pkit/core';
import { bytesFromHex } from './uuhash.js';

/** Largest probe served. */
export const MAX_PROBE = 256 * 1024;
const ZEROS = new Uint8Array(MAX_PROBE);

/** Headers that name the requester, as Kazaa's did. */
export const HEADER_USER = 'X-Kazaa-Username';
export const HEADER_SUPERNODE = 'X-Kazaa-SupernodeIP';
export const HEADER_NETWORK = 'X-Kazaa-Network';
export const NETWORK_NAME = 'p2pkit-fasttrack';

/** A file as the upload side serves it. */
export interface ServedFile {
  readonly path: string;
  readonly size: number;
  readonly pieces?: Uint8Array;
}

/** Who asks, from the request's headers (unverified: used only to look up a level). */
export interface Requester {
  readonly id?: Uint8Array;
  readonly supernode?: Address;
  readonly remote: Address;
}

export interface UploadContext {
  readonly folder: SharedFolder | undefined;
  lookup(uuhashHex: string): ServedFile | undefined;
  /** The requester's level from our supernode (only asked when the request has to wait). */
  levelOf(requester: Requester): Promise<number>;
  /** A GET of file bytes finished (or stopped) after `bytes` were sent. */
  served(bytes: number, requester: Requester): void;
  /** Extra response headers (ours: username, supernode, network). */
  headers(): Record<string, string>;
  readonly queue: UploadQueue;
}

/**
 * Upload slots and the queue in front of them. Waiters are served by level (highest first),
 * then by arrival; a full queue refuses at once.
 */
export class UploadQueue {
  readonly slots: number;
  readonly maxWaiting: number;
  #busy = 0;
  #arrivals = 0;
  readonly #waiting: { level: number; order: number; grant: () => void }[] = [];

  constructor(slots: number, maxWaiting: number) {
    this.slots = Math.max(1, slots);
    this.maxWaiting = maxWaiting;
  }

  get busy(): number {
    return this.#busy;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** True when a request would have to wait. */
  get full(): boolean {
    return this.#busy >= this.slots;
  }

  /**
   * Resolves with a release function once a slot is ours; undefined when the queue is full.
   * Aborting `signal` leaves the queue.
   */
  acquire(level: number, signal?: AbortSignal): Promise<(() => void) | undefined> {
    const release = once(() => {
      this.#busy--;
      this.#next();
    });
    if (this.#busy < this.slots && this.#waiting.length === 0) {
      this.#busy++;
      return Promise.resolve(release);
    }
    if (this.#waiting.length >= this.maxWaiting) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = {
        level,
        order: this.#arrivals++,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Highest level first, then first come.
      let i = this.#waiting.length;
      while (i > 0) {
        const w = this.#waiting[i - 1]!;
        if (w.level > level || (w.level === level && w.order < waiter.order)) break;
        i--;
      }
      this.#waiting.splice(i, 0, waiter);
    });
  }

  #next(): void {
    while (this.#busy < this.slots && this.#waiting.length > 0) {
      this.#busy++;
      this.#waiting.shift()!.grant();
    }
  }
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

/** What a request target asks for. */
export type UploadTarget =
  | { kind: 'file'; uuhash: string }
  | { kind: 'pieces'; uuhash: string }
  | { kind: 'probe'; bytes: number };

export function parseTarget(target: string): UploadTarget | undefined {
  let m = /^\/\.hash=([0-9a-fA-F]{40})$/.exec(target);
  if (m) return { kind: 'file', uuhash: m[1]!.toLowerCase() };
  m = /^\/\.pieces=([0-9a-fA-F]{40})$/.exec(target);
  if (m) return { kind: 'pieces', uuhash: m[1]!.toLowerCase() };
  m = /^\/\.probe=(\d{1,7})$/.exec(target);
  if (m && Number(m[1]) <= MAX_PROBE) return { kind: 'probe', bytes: Number(m[1]) };
  return undefined;
}

/** The requester as its headers describe it; malformed values are ignored. */
export function requesterOf(request: HttpServerRequest): Requester {
  const user = request.headers.get(HEADER_USER.toLowerCase());
  const sn = request.headers.get(HEADER_SUPERNODE.toLowerCase());
  let id: Uint8Array | undefined;
  if (user && /^[0-9a-f]{32}$/i.test(user)) {
    id = bytesFromHex(user, 16);
  }
  let supernode: Address | undefined;
  const m = sn ? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(sn) : null;
  if (m && Number(m[2]) <= 0xffff) supernode = { host: m[1]!, port: Number(m[2]) };
  return {
    remote: request.remoteAddress,
    ...(id ? { id } : {}),
    ...(supernode ? { supernode } : {}),
  };
}

export function uploadHandler(ctx: UploadContext): HttpHandler {
  return async (request): Promise<HttpServerResponse> => {
    const headers = ctx.headers();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return { status: 405, headers: { ...headers, Allow: 'GET, HEAD' }, body: '' };
    }
    const target = parseTarget(request.target);
    if (!target) return { status: 404, headers, body: 'not a FastTrack download\n' };
    if (target.kind === 'probe') {
      return { status: 200, headers, body: ZEROS.subarray(0, target.bytes) };
    }
    const file = ctx.lookup(target.uuhash);
    if (!file) return { status: 404, headers, body: 'not shared here\n' };
    if (target.kind === 'pieces') {
      if (!file.pieces) return { status: 404, headers, body: 'piece hashes unknown\n' };
      return { status: 200, headers, body: file.pieces };
    }
    if (!ctx.folder) return { status: 404, headers, body: 'nothing served here\n' };
    let source: ByteSource;
    try {
      source = await ctx.folder.source(file.path);
    } catch {
      return { status: 404, headers, body: 'file gone\n' };
    }
    if (request.method === 'HEAD') return { status: 200, headers, body: source };
    const range = parseRange(request.headers.get('range'), source.size);
    if (range === 'unsatisfiable') return { status: 200, headers, body: source };
    const requester = requesterOf(request);
    const level = ctx.queue.full ? await ctx.levelOf(requester).catch(() => 0) : 0;
    const release = await ctx.queue.acquire(level, request.signal);
    if (!release) {
      return { status: 503, headers: { ...headers, 'Retry-After': '5' }, body: 'queue full\n' };
    }
    request.signal.addEventListener('abort', release, { once: true });
    return { status: 200, headers, body: counted(source, requester, ctx, release) };
  };
}

/** The source, releasing the slot and reporting the bytes when the stream ends either way. */
function counted(
  source: ByteSource,
  requester: Requester,
  ctx: UploadContext,
  release: () => void,
): ByteSource {
  return {
    size: source.size,
    async *stream(start, end) {
      let sent = 0;
      try {
        for await (const chunk of source.stream(start, end)) {
          sent += chunk.length;
          yield chunk;
        }
      } finally {
        release();
        ctx.served(sent, requester);
      }
    },
  };
}
