import type { Seed } from '@p2pkit/core';

/**
 * The seed to run with: the SEED environment variable if set (an integer, or any string),
 * else `fallback`. A failing simulation prints its seed; `SEED=<it> pnpm test` replays it.
 */
export function seedFromEnv(fallback: Seed): Seed {
  const raw = typeof process === 'undefined' ? undefined : process.env.SEED;
  if (raw === undefined || raw.trim() === '') return fallback;
  const text = raw.trim();
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return text;
}

/**
 * Runs `body(seed)` and, if it fails, appends `seed=<seed>` and the replay command to the
 * error's message, so a failing test says how to replay it:
 *
 * ```ts
 * it('survives churn', () => withSeed(seedFromEnv(7), async (seed) => { ... }));
 * ```
 */
export async function withSeed<T>(seed: Seed, body: (seed: Seed) => T | Promise<T>): Promise<T> {
  try {
    return await body(seed);
  } catch (error) {
    const note = `seed=${String(seed)} (replay: SEED=${String(seed)} pnpm test)`;
    if (error instanceof Error) {
      if (!error.message.includes(note)) {
        try {
          error.message = `${error.message}\n  ${note}`;
        } catch {
          // A frozen error: fall through to wrapping.
          throw new Error(`${String(error)}\n  ${note}`, { cause: error });
        }
      }
      throw error;
    }
    throw new Error(`${String(error)}\n  ${note}`, { cause: error });
  }
}
