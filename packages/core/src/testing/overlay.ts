import { describe, expect, it } from 'vitest';
import { equalBytes } from '../codec/bytes.js';
import { createRandom } from '../random.js';
import type { Address, Random } from '../runtime.js';
import { type OverlayNode, type ResponsibleRule, successorOf } from './overlay-rules.js';

/**
 * The overlay compliance suite: scenarios every structured overlay (Chord, Pastry, Kelips) must
 * pass, whatever its routing: nodes join at sizes from 16 to 1024, every lookup agrees with an
 * oracle that knows every live node (the overlay's own responsibility rule) and stays within the
 * overlay's hop bound; nodes leave and crash, the network splits and heals, nodes come and go
 * continuously (churn), stored values survive, and one seed gives one history (trace hash).
 *
 * An overlay runs it from a short test file, with a harness made by the simulator's generic
 * world (`@p2pkit/sim/testing`, createOverlayHarness) from a node factory and a small adapter:
 *
 * ```ts
 * overlayComplianceSuite('chord', (seed) => createOverlayHarness(chordAdapter, { seed }), {
 *   convergeMs: 60_000,
 *   hopBound: hopBounds.chord,               // Pastry: hopBounds.pastry(4), Kelips: hopBounds.kelips
 *   responsible: (key, live) => successorOf(key, live), // Pastry: numericallyClosest
 * });
 * ```
 */

/**
 * What an overlay hands the suite. Time is the harness's business: on a simulated network,
 * every promise-returning method runs virtual time until it settles, and `advance` lets time
 * pass so periodic maintenance runs. Faults (crash, partition) take effect at once.
 */
export interface OverlayHarness {
  /** Id width in bits: keys handed to lookup() are m-bit ids. */
  readonly m: number;
  /**
   * Starts n new nodes. In an empty overlay the first creates it; every other node joins
   * through a live member. Resolves when their joins have returned (not necessarily converged).
   */
  addNodes(n: number): Promise<OverlayNode[]>;
  /** Lets `ms` of (virtual) time pass. */
  advance(ms: number): Promise<void>;
  /** Routes `key` from `from`; resolves to the node the overlay says is responsible. */
  lookup(from: OverlayNode, key: bigint): Promise<{ owner: Address; hops: number }>;
  /** Graceful departure (the node hands over its state). */
  leave(node: OverlayNode): Promise<void>;
  /** Abrupt failure: the node's host stops at once, nothing is sent. */
  crash(node: OverlayNode): void;
  /** Splits the network: nodes in different groups cannot exchange messages. */
  partition(groups: readonly (readonly OverlayNode[])[]): void;
  /** Removes every partition. */
  heal(): void;
  /** Stores a value through `from` (optional: the storage scenario needs it). */
  put?(from: OverlayNode, key: string, value: Uint8Array): Promise<void>;
  /** Reads a value through `from` (undefined: not found). */
  get?(from: OverlayNode, key: string): Promise<Uint8Array | undefined>;
  /** A hash of the whole history so far (the simulator's trace hash), for the determinism test. */
  traceHash?(): string;
  /** Stops every node and releases the network. */
  close(): Promise<void>;
}

export interface OverlaySuiteOptions {
  /**
   * Virtual time after which the overlay must have converged following a batch of joins,
   * leaves or crashes (overlay-specific: a few stabilization periods).
   */
  convergeMs: number;
  /** Nodes in the fault scenarios (default 32). */
  nodes?: number;
  /** Overlay sizes for the join + lookup + hop-bound scenario (default [16, 64, 256, 1024]). */
  sizes?: readonly number[];
  /** Random lookups per check (default 100). */
  lookups?: number;
  /** Keys stored in the put/get scenario (default 40). */
  keys?: number;
  /** Copies of each value the overlay keeps: crashes come in waves of replicas − 1 (default 3). */
  replicas?: number;
  /** Seeds to run every scenario with (default [1, 2, 3, 4, 5]; `SEED=n` in the environment: just n). */
  seeds?: readonly number[];
  /**
   * Seeds for the sizes above 256 (default: the first two of `seeds`), which cost the most;
   * every seed still runs the sizes up to 256.
   */
  largeSeeds?: readonly number[];
  /**
   * The node responsible for `key` among the live nodes, as the overlay defines it. Default:
   * the successor (first id at or after key, clockwise), as in Chord. See overlay-rules.ts.
   */
  responsible?: ResponsibleRule;
  /**
   * The most hops a lookup may take in a converged overlay of n nodes (`hopBounds.chord`,
   * `hopBounds.pastry(b)`, `hopBounds.kelips`). Checked on every lookup after convergence.
   */
  hopBound?: (n: number) => number;
  /** Rounds of the churn scenario (joins, leaves and crashes between lookups; default 6). */
  churnRounds?: number;
  /** Per-test timeout in real milliseconds (default 120,000). */
  timeoutMs?: number;
}

export function overlayComplianceSuite(
  name: string,
  factory: (seed: number) => Promise<OverlayHarness>,
  options: OverlaySuiteOptions,
): void {
  const n = options.nodes ?? 32;
  const sizes = options.sizes ?? [16, 64, 256, 1024];
  const lookups = options.lookups ?? 100;
  const keys = options.keys ?? 40;
  const replicas = options.replicas ?? 3;
  const envSeed = readSeedFromEnv();
  const seeds = envSeed !== undefined ? [envSeed] : (options.seeds ?? [1, 2, 3, 4, 5]);
  const largeSeeds = envSeed !== undefined ? [envSeed] : (options.largeSeeds ?? seeds.slice(0, 2));
  const responsible = options.responsible ?? ((key, live) => successorOf(key, live));
  const hopBound = options.hopBound;
  const timeout = options.timeoutMs ?? 120_000;
  const converge = options.convergeMs;
  const churnRounds = options.churnRounds ?? 6;

  /** Runs a scenario with a fresh harness; a failure names the seed that replays it. */
  function scenario(
    title: string,
    body: (h: OverlayHarness, random: Random, seed: number) => Promise<void>,
    onSeeds: readonly number[] = seeds,
  ) {
    for (const seed of onSeeds) {
      it(`${title} (seed ${seed})`, { timeout }, async () => {
        const h = await factory(seed);
        try {
          await body(h, createRandom(`overlay:${seed}`), seed);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`[${name}] failed with seed ${seed} (replay: SEED=${seed}): ${message}`, {
            cause: error,
          });
        } finally {
          await h.close();
        }
      });
    }
  }

  /**
   * Random lookups from random live nodes, each judged against the oracle and, when a bound is
   * given, against the hop bound for this many live nodes.
   */
  async function checkLookups(
    h: OverlayHarness,
    live: readonly OverlayNode[],
    random: Random,
    count = lookups,
  ) {
    const wrong: string[] = [];
    const slow: string[] = [];
    let failed = 0;
    const bound = hopBound?.(live.length);
    for (let i = 0; i < count; i++) {
      const from = random.pick(live);
      const key = randomId(random, h.m);
      const expected = responsible(key, live, h.m);
      try {
        const { owner, hops } = await h.lookup(from, key);
        if (owner.host !== expected.address.host || owner.port !== expected.address.port) {
          wrong.push(
            `key ${key.toString(16)}: got ${owner.host}:${owner.port}, expected ${expected.address.host}:${expected.address.port}`,
          );
        }
        if (bound !== undefined && hops > bound) slow.push(`key ${key.toString(16)}: ${hops} hops`);
      } catch {
        failed++;
      }
    }
    expect(failed, 'failed lookups').toBe(0);
    expect(wrong.length, `wrong owners: ${wrong.slice(0, 5).join('; ')}`).toBe(0);
    expect(
      slow.length,
      `lookups over the hop bound ${bound?.toFixed(2)} for ${live.length} nodes: ${slow.slice(0, 5).join('; ')}`,
    ).toBe(0);
  }

  describe(`overlay compliance: ${name}`, () => {
    for (const size of sizes) {
      scenario(
        `${size} nodes join; every lookup finds the owner an oracle of live nodes names${hopBound ? `, within ${hopBound(size).toFixed(2)} hops` : ''}`,
        async (h, random) => {
          const nodes = await h.addNodes(size);
          expect(nodes.length).toBe(size);
          expect(new Set(nodes.map((x) => x.id)).size).toBe(size);
          await h.advance(converge);
          await checkLookups(h, nodes, random);
        },
        size > 256 ? largeSeeds : seeds,
      );
    }

    scenario('a quarter of the nodes leave gracefully; lookups stay correct', async (h, random) => {
      const nodes = await h.addNodes(n);
      await h.advance(converge);
      const leaving = random.shuffle([...nodes]).slice(0, Math.floor(n / 4));
      for (const node of leaving) await h.leave(node);
      const live = nodes.filter((x) => !leaving.includes(x));
      await h.advance(converge);
      await checkLookups(h, live, random);
    });

    scenario(
      'a quarter of the nodes crash at once; after convergence lookups are correct',
      async (h, random) => {
        const nodes = await h.addNodes(n);
        await h.advance(converge);
        const crashed = random.shuffle([...nodes]).slice(0, Math.floor(n / 4));
        for (const node of crashed) h.crash(node);
        const live = nodes.filter((x) => !crashed.includes(x));
        await h.advance(converge);
        await checkLookups(h, live, random);
      },
    );

    scenario(
      'the network splits in two halves and heals; lookups are correct again',
      async (h, random) => {
        const nodes = await h.addNodes(n);
        await h.advance(converge);
        const shuffled = random.shuffle([...nodes]);
        const half = Math.floor(n / 2);
        h.partition([shuffled.slice(0, half), shuffled.slice(half)]);
        // Long enough for each side to declare the other dead.
        await h.advance(converge);
        h.heal();
        await h.advance(2 * converge);
        await checkLookups(h, nodes, random);
      },
    );

    scenario(
      'churn: nodes join, leave and crash between lookups; every lookup settles, and after convergence all are correct',
      async (h, random) => {
        let live = await h.addNodes(n);
        await h.advance(converge);
        for (let round = 0; round < churnRounds; round++) {
          live.push(...(await h.addNodes(2)));
          const [leaving, crashing] = random.shuffle([...live]);
          await h.leave(leaving!);
          h.crash(crashing!);
          live = live.filter((x) => x !== leaving && x !== crashing);
          await h.advance(converge / 8);
          // Mid-churn an answer may be stale, but every lookup must settle (answer or error).
          for (let i = 0; i < 10; i++) {
            await h.lookup(random.pick(live), randomId(random, h.m)).catch(() => undefined);
          }
        }
        await h.advance(converge);
        await checkLookups(h, live, random);
      },
    );

    scenario('stored values survive joins, leaves and crashes in waves', async (h, random) => {
      if (!h.put || !h.get) return;
      const nodes = await h.addNodes(n);
      await h.advance(converge);
      const values = new Map<string, Uint8Array>();
      for (let i = 0; i < keys; i++) {
        const key = `key-${i}-${random.u32().toString(36)}`;
        const value = random.bytes(1 + random.int(64));
        values.set(key, value);
        await h.put(random.pick(nodes), key, value);
      }
      let live = [...nodes];
      // Joins move keys to the newcomers.
      live.push(...(await h.addNodes(Math.max(2, Math.floor(n / 8)))));
      await h.advance(converge);
      // Graceful leaves hand keys over.
      for (const node of random.shuffle([...live]).slice(0, Math.max(1, Math.floor(n / 8)))) {
        await h.leave(node);
        live = live.filter((x) => x !== node);
      }
      await h.advance(converge);
      // Crashes in waves smaller than the replication factor, with time to re-replicate.
      const wave = Math.max(1, replicas - 1);
      for (let w = 0; w < 3; w++) {
        const victims = random.shuffle([...live]).slice(0, wave);
        for (const v of victims) h.crash(v);
        live = live.filter((x) => !victims.includes(x));
        await h.advance(converge);
      }
      const missing: string[] = [];
      for (const [key, value] of values) {
        const got = await h.get(random.pick(live), key);
        if (got === undefined || !equalBytes(got, value)) missing.push(key);
      }
      expect(missing, `lost or wrong values: ${missing.slice(0, 5).join(', ')}`).toEqual([]);
      await checkLookups(h, live, random);
    });

    const [first] = seeds;
    if (first !== undefined) {
      it(`one seed, one history: the same run twice gives the same trace hash and answers (seed ${first})`, {
        timeout,
      }, async () => {
        const run = async () => {
          const h = await factory(first);
          try {
            const random = createRandom(`overlay:determinism:${first}`);
            const nodes = await h.addNodes(16);
            await h.advance(converge);
            const answers: string[] = [];
            for (let i = 0; i < 20; i++) {
              const r = await h.lookup(random.pick(nodes), randomId(random, h.m));
              answers.push(`${r.owner.host}:${r.owner.port}/${r.hops}`);
            }
            return { hash: h.traceHash?.(), answers };
          } finally {
            await h.close();
          }
        };
        const a = await run();
        const b = await run();
        expect(a.hash, `[${name}] the harness has no traceHash()`).toBeTypeOf('string');
        expect(b, `[${name}] seed ${first} gave two histories`).toEqual(a);
      });
    }
  });
}

function randomId(random: Random, m: number): bigint {
  let x = 0n;
  for (let bits = 0; bits < m; bits += 32) x = (x << 32n) | BigInt(random.u32());
  const extra = (Math.ceil(m / 32) * 32 - m) | 0;
  return x >> BigInt(extra);
}

function readSeedFromEnv(): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const text = env?.SEED;
  if (text === undefined || text === '') return undefined;
  const seed = Number(text);
  return Number.isFinite(seed) ? seed : undefined;
}
