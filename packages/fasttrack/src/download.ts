/**
 * Multi-source downloads: the file is cut into 256 KiB pieces, each source is asked for runs
 * of pieces with HTTP Range (`GET /.hash=<UUHash>`), and every piece is checked against the
 * piece hashes (themselves checked against the piece root from the search result) before it
 * is written. A source whose bytes do not match is dropped and its pieces go to the others.
 * Pieces are written in order into `<name>.part`, so an interrupted download resumes from
 * what is there; the finished file is checked against its UUHash too.
 */
import {
  type Address,
  type Connection,
  equalBytes,
  formatAddress,
  type HttpResponse,
  httpRequest,
  P2PError,
  type PartialFile,
  type Runtime,
  type SharedFolder,
  throwIfAborted,
} from '@p2pkit/core';
import type { DownloadOptions, DownloadResult } from './options.js';
import { ContentHasher, HASH_LENGTH, hashToHex, PIECE_SIZE, pieceCount } from './uuhash.js';

/** One holder of the file. */
export interface Source {
  readonly address: Address;
  readonly id?: Uint8Array;
  readonly supernode?: Address;
  /** It cannot be dialed: a connection comes from it after a Push. */
  readonly firewalled?: boolean;
}

/** What the downloader needs from its node. */
export interface DownloadContext {
  readonly runtime: Runtime;
  /** Headers sent with every request (who we are, for the holder's upload queue). */
  headers(): Record<string, string>;
  /** A connection from a firewalled source, after a Push through its supernode. */
  pushConnection(source: Source, signal: AbortSignal): Promise<Connection>;
  /** `bytes` verified bytes came from `source` (for its participation level). */
  report(source: Source, bytes: number): void;
}

export interface DownloadPlan {
  readonly uuhash: Uint8Array;
  readonly root: Uint8Array;
  readonly size: number;
  readonly name: string;
  readonly sources: readonly Source[];
}

/** Tries a request this many times on a source before giving up on it (network errors only). */
const ATTEMPTS = 2;

/** A remote file name as a plain file name in our folder: no directories, no leading dots. */
export function localName(remote: string): string {
  const base = remote.replace(/[\\/\0]+/g, '_').replace(/^\.+/, '_');
  return base === '' ? 'download' : base;
}

class SourceState {
  connection: Connection | undefined;
  verified = 0;
  pushed = 0;
  failures = 0;
  constructor(readonly source: Source) {}
}

export async function downloadFile(
  ctx: DownloadContext,
  plan: DownloadPlan,
  folder: SharedFolder,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const { runtime } = ctx;
  const started = runtime.clock.now();
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) throwIfAborted(outer);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;
  const name = options.name ?? localName(plan.name);
  const count = pieceCount(plan.size);
  const hex = hashToHex(plan.uuhash);
  const rejected: Address[] = [];
  const states = plan.sources.map((s) => new SourceState(s));
  let partial: PartialFile = await folder.write(name, { resume: true });
  if (partial.written > plan.size) {
    await partial.abort();
    partial = await folder.write(name);
  }
  const startAt = partial.written;
  let committed = false;
  try {
    if (plan.size === 0) {
      await partial.commit();
      committed = true;
      await checkUuhash(ctx, folder, name, plan);
      return {
        name,
        size: 0,
        fetched: 0,
        uuhash: plan.uuhash,
        sources: [],
        rejected,
        pushed: 0,
        elapsedMs: runtime.clock.now() - started,
      };
    }
    const pieces = await fetchPieceList(ctx, plan, hex, states, rejected, signal);
    const writer = new InOrderWriter(partial, startAt, plan.size, options.onProgress);
    const pool = new PiecePool(Math.floor(startAt / PIECE_SIZE), count);
    const span = Math.max(1, options.spanPieces ?? 4);
    const maxSources = Math.max(1, options.maxSources ?? 4);
    const maxBuffered = 4 * maxSources * span;
    const queue = states.filter((s) => !rejected.some((r) => sameAddress(r, s.source.address)));
    const worker = async (): Promise<void> => {
      for (let state = queue.shift(); state; state = queue.shift()) {
        const keep = await runSource(state);
        if (keep) return;
      }
    };
    /** Works `state` until no piece is left (true) or the source is dropped (false). */
    const runSource = async (state: SourceState): Promise<boolean> => {
      for (;;) {
        throwIfAborted(signal);
        // Far ahead of the writer: wait, unless the piece it needs next is still to be asked.
        while (writer.buffered >= maxBuffered && pool.first !== writer.nextPiece) {
          await writer.progress();
        }
        const run = pool.take(span);
        if (!run) return true;
        const [first, end] = run;
        let next = first;
        try {
          const response = await request(ctx, state, hex, first, end, plan.size, signal);
          const from = first * PIECE_SIZE;
          const to = Math.min(end * PIECE_SIZE, plan.size);
          const buffer = new Uint8Array(Math.min(PIECE_SIZE, plan.size - from));
          let fill = 0;
          let position = from;
          for await (const chunk of response.body) {
            let p = 0;
            while (p < chunk.length) {
              const pieceEnd = Math.min((next + 1) * PIECE_SIZE, plan.size);
              const n = Math.min(chunk.length - p, pieceEnd - position);
              if (n <= 0) throw new P2PError('more bytes than asked for', 'ERR_PROTOCOL');
              buffer.set(chunk.subarray(p, p + n), fill);
              fill += n;
              p += n;
              position += n;
              if (position === pieceEnd) {
                const piece = buffer.slice(0, fill);
                const expected = pieces.subarray(next * HASH_LENGTH, (next + 1) * HASH_LENGTH);
                if (!equalBytes(runtime.hash.sha1(piece), expected)) {
                  throw new BadSource(`piece ${next} does not match its hash`);
                }
                state.verified += piece.length;
                if (state.source.firewalled) state.pushed++;
                await writer.put(next, piece);
                next++;
                fill = 0;
              }
            }
          }
          if (position !== to)
            throw new P2PError(`got ${position - from} of ${to - from} bytes`, 'ERR_PROTOCOL');
          if (!response.keepAlive) state.connection = undefined;
          else state.connection = response.connection;
          state.failures = 0;
        } catch (error) {
          pool.giveBack(next, end);
          state.connection?.destroy();
          state.connection = undefined;
          if (signal.aborted) throw error;
          if (error instanceof BadSource) {
            rejected.push(state.source.address);
            return false;
          }
          if (++state.failures >= ATTEMPTS) return false;
        }
      }
    };
    const workers = Array.from({ length: Math.min(maxSources, queue.length) }, () => worker());
    await Promise.all(workers);
    throwIfAborted(signal);
    if (!writer.complete) {
      throw new P2PError(
        `no source left with ${pool.remaining} piece(s) to go (${rejected.length} rejected); the .part file is kept`,
        'ERR_NO_SOURCES',
      );
    }
    await partial.commit();
    committed = true;
    await checkUuhash(ctx, folder, name, plan);
    for (const s of states) if (s.verified > 0) ctx.report(s.source, s.verified);
    return {
      name,
      size: plan.size,
      fetched: plan.size - startAt,
      uuhash: plan.uuhash,
      sources: states.filter((s) => s.verified > 0).map((s) => s.source.address),
      rejected,
      pushed: states.reduce((n, s) => n + s.pushed, 0),
      elapsedMs: runtime.clock.now() - started,
    };
  } catch (error) {
    if (!committed) await partial.close().catch(() => {});
    throw error;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    controller.abort();
    for (const s of states) s.connection?.destroy();
  }
}

class BadSource extends P2PError {
  constructor(message: string) {
    super(message, 'ERR_HASH_MISMATCH');
  }
}

function sameAddress(a: Address, b: Address): boolean {
  return a.host === b.host && a.port === b.port;
}

/** One GET on the source's kept-alive connection, a new one, or a pushed one. */
async function request(
  ctx: DownloadContext,
  state: SourceState,
  hex: string,
  first: number,
  end: number,
  size: number,
  signal: AbortSignal,
): Promise<HttpResponse> {
  const { address } = state.source;
  const target = first === -1 ? `/.pieces=${hex}` : `/.hash=${hex}`;
  const headers: Record<string, string> = { ...ctx.headers() };
  if (first >= 0) {
    const a = first * PIECE_SIZE;
    const b = Math.min(end * PIECE_SIZE, size) - 1;
    headers.Range = `bytes=${a}-${b}`;
  }
  let connection = state.connection;
  state.connection = undefined;
  if (!connection && state.source.firewalled)
    connection = await ctx.pushConnection(state.source, signal);
  const response = await httpRequest(ctx.runtime, `http://${formatAddress(address)}${target}`, {
    headers,
    signal,
    ...(connection ? { connection } : {}),
  });
  const ok = first === -1 ? response.status === 200 : response.status === 206;
  if (!ok) {
    await response.body.discard().catch(() => {});
    throw new P2PError(`${formatAddress(address)} answered ${response.status}`, 'ERR_HTTP_STATUS');
  }
  return response;
}

/** The piece hashes from the first source whose list matches the root. */
async function fetchPieceList(
  ctx: DownloadContext,
  plan: DownloadPlan,
  hex: string,
  states: SourceState[],
  rejected: Address[],
  signal: AbortSignal,
): Promise<Uint8Array> {
  const expected = pieceCount(plan.size) * HASH_LENGTH;
  for (const state of states) {
    throwIfAborted(signal);
    try {
      const response = await request(ctx, state, hex, -1, 0, plan.size, signal);
      const list = await response.body.bytes(expected + 1);
      if (response.keepAlive) state.connection = response.connection;
      if (list.length === expected && equalBytes(ctx.runtime.hash.sha1(list), plan.root)) {
        return list;
      }
      rejected.push(state.source.address);
      state.connection?.destroy();
      state.connection = undefined;
    } catch (error) {
      if (signal.aborted) throw error;
    }
  }
  throw new P2PError('no source gave piece hashes matching the root', 'ERR_NO_SOURCES');
}

/** Reads the finished file back and compares its UUHash with the one searched for. */
async function checkUuhash(
  ctx: DownloadContext,
  folder: SharedFolder,
  name: string,
  plan: DownloadPlan,
): Promise<void> {
  const hasher = new ContentHasher(plan.size, ctx.runtime.hash);
  for await (const chunk of folder.read(name)) hasher.update(chunk);
  const { uuhash, root } = hasher.digest();
  if (!equalBytes(uuhash, plan.uuhash) || !equalBytes(root, plan.root)) {
    throw new P2PError(
      `${name}: content hashes to ${hashToHex(uuhash)}, not ${hashToHex(plan.uuhash)}`,
      'ERR_HASH_MISMATCH',
    );
  }
}

/** Pieces not yet asked for, handed out in runs of consecutive pieces, lowest first. */
class PiecePool {
  #free: number[];

  constructor(first: number, count: number) {
    this.#free = [];
    for (let i = first; i < count; i++) this.#free.push(i);
  }

  get remaining(): number {
    return this.#free.length;
  }

  /** The lowest piece not asked for, or undefined. */
  get first(): number | undefined {
    return this.#free[0];
  }

  take(max: number): [number, number] | undefined {
    const free = this.#free;
    if (free.length === 0) return undefined;
    let n = 1;
    while (n < max && n < free.length && free[n] === free[0]! + n) n++;
    const first = free[0]!;
    free.splice(0, n);
    return [first, first + n];
  }

  giveBack(from: number, end: number): void {
    for (let i = from; i < end; i++) this.#free.push(i);
    this.#free.sort((a, b) => a - b);
  }
}

/**
 * Writes verified pieces into the .part file in order, holding the ones that arrive early.
 * The first piece may be partly on disk already (a resumed download): only its tail is written.
 */
class InOrderWriter {
  #next: number;
  readonly #held = new Map<number, Uint8Array>();
  #written: number;
  #waiters: (() => void)[] = [];
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly partial: PartialFile,
    written: number,
    readonly size: number,
    readonly onProgress?: (done: number, size: number) => void,
  ) {
    this.#written = written;
    this.#next = Math.floor(written / PIECE_SIZE);
  }

  get complete(): boolean {
    return this.#written >= this.size;
  }

  get buffered(): number {
    return this.#held.size;
  }

  /** The piece the file continues with. */
  get nextPiece(): number {
    return this.#next;
  }

  /** Resolves at the next write (or at once when nothing is held). */
  progress(): Promise<void> {
    if (this.#held.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  put(index: number, piece: Uint8Array): Promise<void> {
    this.#held.set(index, piece);
    this.#chain = this.#chain.then(() => this.#flush());
    return this.#chain;
  }

  async #flush(): Promise<void> {
    for (let piece = this.#held.get(this.#next); piece; piece = this.#held.get(this.#next)) {
      this.#held.delete(this.#next);
      const offset = this.#next * PIECE_SIZE;
      const skip = Math.max(0, this.#written - offset);
      if (skip < piece.length) await this.partial.write(piece.subarray(skip));
      this.#written = offset + piece.length;
      this.#next++;
      this.onProgress?.(this.#written, this.size);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
  }
}
