/**
 * How a node finds the owner of an id: through its gateway (client mode), by a recursive lookup
 * with an iterative fallback, or iteratively (lookup.ts) with this node's RPCs as its I/O.
 */
import { type Id, P2PError, TimeoutError, throwIfAborted } from '@p2pkit/core';
import type { NodeContext } from './context.js';
import { type IterativeOptions, iterativeLookup, type RouteResult, type StepIo } from './lookup.js';
import * as msg from './messages.js';
import type { Peer } from './peer.js';
import type { LookupOptions } from './types.js';

export interface IterateOptions {
  signal?: AbortSignal | undefined;
  /** Start from these peers instead of this node's own table (a join through a bootstrap). */
  via?: Peer[];
  /** Clock time after which the lookup fails with TimeoutError. */
  deadline: number;
  confirm?: boolean;
  trace?: IterativeOptions['trace'];
}

/**
 * Routes to the owner of an internal id. Recursive mode falls back to an iterative lookup
 * when no answer comes within recursiveTimeoutMs.
 */
export async function route(
  ctx: NodeContext,
  key: Id,
  options: LookupOptions = {},
): Promise<RouteResult> {
  const { signal } = options;
  throwIfAborted(signal);
  const started = ctx.clock.now();
  const deadline = started + (options.timeoutMs ?? ctx.options.lookupTimeoutMs);
  ctx.stats.lookups++;
  try {
    if (ctx.gateway !== undefined) {
      return timed(
        await iterate(ctx, key, { signal, deadline, via: [ctx.gateway], trace: options.trace }),
        ctx.clock.now() - started,
      );
    }
    if ((options.mode ?? ctx.options.lookup) === 'recursive') {
      try {
        ctx.requireRunning();
        return await ctx.recursive.start(key, signal);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        ctx.stats.timeouts++;
      }
    }
    const r = await iterate(ctx, key, { signal, deadline, trace: options.trace });
    return timed(r, ctx.clock.now() - started);
  } catch (error) {
    ctx.stats.lookupFailures++;
    throw error;
  }
}

/** `r` with its duration (an iterative lookup's continuation runs as its last answer arrives). */
function timed(r: RouteResult, ms: number): RouteResult {
  r.ms = ms;
  return r;
}

/** An iterative lookup within the node's lookup timeout, from `via` when given (maintenance). */
export function routeVia(ctx: NodeContext, key: Id, via: Peer[] | undefined): Promise<RouteResult> {
  const deadline = ctx.clock.now() + ctx.options.lookupTimeoutMs;
  return iterate(ctx, key, via === undefined ? { deadline } : { via, deadline });
}

/** An iterative lookup (lookup.ts) whose steps and pings are this node's RPCs. */
export function iterate(ctx: NodeContext, key: Id, options: IterateOptions): Promise<RouteResult> {
  ctx.requireRunning();
  const clock = ctx.clock;
  const io: StepIo = {
    step: async (peer, k, signal) => {
      if (clock.now() > options.deadline)
        throw new P2PError('lookup deadline passed', 'ERR_LOOKUP_TIMEOUT');
      const body = await ctx.request(
        peer,
        msg.MessageType.FIND_SUCCESSOR,
        msg.encodeFindSuccessor(k),
        signal,
      );
      return msg.decodeStep(body, ctx.limits);
    },
    ping: async (peer, signal) => {
      if (clock.now() > options.deadline)
        throw new P2PError('lookup deadline passed', 'ERR_LOOKUP_TIMEOUT');
      msg.decodeEmpty(await ctx.request(peer, msg.MessageType.PING, msg.EMPTY, signal));
    },
    dead: (peer) => ctx.peerFailed(peer),
    accept: (peer) => ctx.accept(peer),
    space: ctx.options.space,
  };
  return iterativeLookup(ctx.table, key, io, {
    signal: options.signal,
    confirm: options.confirm,
    via: options.via,
    trace: options.trace,
  }).catch((error: unknown) => {
    if (error instanceof P2PError && error.code === 'ERR_LOOKUP_TIMEOUT') {
      throw new TimeoutError('lookup timed out', { cause: error });
    }
    throw error;
  });
}
