import { describe, expect, it } from 'vitest';
import { equalBytes } from '../codec/bytes.js';
import { createRandom } from '../random.js';
import type { Address, Random } from '../runtime.js';

/**
 * The overlay compliance suite: scenarios every DHT-style overlay (Chord, Pastry, Kelips) must
 * pass, whatever its routing: nodes join, lookups agree with an oracle that knows every live
 * node, nodes leave and crash, the network splits and heals, stored values survive.
 *
 * An overlay runs it from a short test file with a harness over the simulator:
 *
 * ```ts
 * overlayComplianceSuite('chord', (seed) => createChordHarness(seed), { convergeMs: 120_000 });
 * ```
 */

/** A node as the suite sees it. */
export interface OverlayNode {
  /** Its m-bit overlay id. */
  readonly id: bigint;
  readonly address: Address;
}

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
  /** Stores a value through `from`. */
  put(from: OverlayNode, key: string, value: Uint8Array): Promise<void>;
  /** Reads a value through `from` (undefined: not found). */
  get(from: OverlayNode, key: string): Promise<Uint8Array | undefined>;
  /** Stops every node and releases the network. */
  close(): Promise<void>;
}

export interface OverlaySuiteOptions {
  /**
   * Virtual time after which the overlay must have converged following a batch of joins,
   * leaves or crashes (overlay-specific: a few stabilization periods).
   */
  convergeMs: number;
  /** Nodes in each scenario (default 32). */
  nodes?: number;
  /** Random lookups per check (default 100). */
  lookups?: number;
  /** Keys stored in the put/get scenario (default 40). */
  keys?: number;
  /** Copies of each value the overlay keeps: crashes come in waves of replicas − 1 (default 3). */
  replicas?: number;
  /** Seeds to run every scenario with (default [1, 2]; `SEED=n` in the environment: just n). */
  seeds?: readonly number[];
  /**
   * The node responsible for `key` among the live nodes, as the overlay defines it. Default:
   * the successor (first id at or after key, clockwise), as in Chord.
   */
  responsible?: (key: bigint, live: readonly OverlayNode[], m: number) => OverlayNode;
  /** Per-test timeout in real milliseconds (default 60,000). */
  timeoutMs?: number;
}

/** Chord's rule: the first live node whose id is at or after key, wrapping around the ring. */
export function successorOf(key: bigint, live: readonly OverlayNode[]): OverlayNode {
  let best: OverlayNode | undefined;
  let lowest: OverlayNode | undefined;
  for (const n of live) {
    if (n.id >= key && (best === undefined || n.id < best.id)) best = n;
    if (lowest === undefined || n.id < lowest.id) lowest = n;
  }
  const owner = best ?? lowest;
  if (owner === undefined) throw new RangeError('no live node');
  return owner;
}

export function overlayComplianceSuite(
  name: string,
  factory: (seed: number) => Promise<OverlayHarness>,
  options: OverlaySuiteOptions,
): void {
  const n = options.nodes ?? 32;
  const lookups = options.lookups ?? 100;
  const keys = options.keys ?? 40;
  const replicas = options.replicas ?? 3;
  const envSeed = readSeedFromEnv();
  const seeds = envSeed !== undefined ? [envSeed] : (options.seeds ?? [1, 2]);
  const responsible = options.responsible ?? ((key, live) => successorOf(key, live));
  const timeout = options.timeoutMs ?? 60_000;
  const converge = options.convergeMs;

  /** Runs a scenario with a fresh harness; a failure names the seed that replays it. */
  function scenario(
    title: string,
    body: (h: OverlayHarness, random: Random, seed: number) => Promise<void>,
  ) {
    for (const seed of seeds) {
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

  /** Random lookups from random live nodes, each judged against the oracle. */
  async function checkLookups(h: OverlayHarness, live: readonly OverlayNode[], random: Random) {
    const wrong: string[] = [];
    let failed = 0;
    for (let i = 0; i < lookups; i++) {
      const from = random.pick(live);
      const key = randomId(random, h.m);
      const expected = responsible(key, live, h.m);
      try {
        const { owner } = await h.lookup(from, key);
        if (owner.host !== expected.address.host || owner.port !== expected.address.port) {
          if (wrong.length < 5) {
            wrong.push(
              `key ${key.toString(16)}: got ${owner.host}:${owner.port}, expected ${expected.address.host}:${expected.address.port}`,
            );
          } else wrong.push('');
        }
      } catch {
        failed++;
      }
    }
    expect(failed, 'failed lookups').toBe(0);
    expect(wrong.length, `wrong owners: ${wrong.filter(Boolean).join('; ')}`).toBe(0);
  }

  describe(`overlay compliance: ${name}`, () => {
    scenario(
      `${n} nodes join; every lookup finds the owner an oracle of live nodes names`,
      async (h, random) => {
        const nodes = await h.addNodes(n);
        expect(nodes.length).toBe(n);
        expect(new Set(nodes.map((x) => x.id)).size).toBe(n);
        await h.advance(converge);
        await checkLookups(h, nodes, random);
      },
    );

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

    scenario('stored values survive joins, leaves and crashes in waves', async (h, random) => {
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
