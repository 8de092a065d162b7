/**
 * Free-riders with and without participation levels: a small simulated network where a few
 * seeders with one upload slot each hold a popular file, contributors have been sharing (others
 * downloaded from them) and free-riders only took. Then everyone asks the seeders for the
 * popular file at once: with levels (`reputation: 'observed'`) the seeders' queues serve
 * contributors first; without (`'off'`) first come, first served.
 */
import { createMemoryFolder } from '@p2pkit/core';
import { Distribution, latency, Simulation } from '@p2pkit/sim';
import { FastTrackNode } from '../node.js';
import type { ReputationMode } from '../options.js';
import { PIECE_SIZE } from '../uuhash.js';

export interface FreeriderOptions {
  /** Contributors and free-riders (default 12 each). */
  contributors?: number;
  freeriders?: number;
  /** Seeders of the popular file (default 2), each with one upload slot. */
  seeders?: number;
  /** Seeders' upload, bytes/s (default 2,000,000). */
  seederUpload?: number;
  reputation: ReputationMode;
  seed?: number;
}

export interface FreeriderResult {
  reputation: ReputationMode;
  /** Download time of the popular file, ms. */
  contributors: { mean: number; p50: number; p90: number };
  freeriders: { mean: number; p50: number; p90: number };
  /** Mean level of each group before the race, as their supernode knows it. */
  contributorLevel: number;
  freeriderLevel: number;
  seed: number;
}

const bytes = (n: number, salt: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + salt + (i >>> 10)) & 0xff;
  return out;
};

export async function freeriderExperiment(options: FreeriderOptions): Promise<FreeriderResult> {
  const seed = options.seed ?? 1;
  const nc = options.contributors ?? 12;
  const nf = options.freeriders ?? 12;
  const ns = options.seeders ?? 2;
  const sim = new Simulation({ seed, latency: latency.uniform(10, 30) });
  const nodes: FastTrackNode[] = [];
  const run = async <T>(action: () => Promise<T>): Promise<T> => {
    let done = false;
    let value: T | undefined;
    let error: unknown;
    sim.at(sim.now, async () => {
      try {
        value = await action();
      } catch (e) {
        error = e;
      } finally {
        done = true;
      }
    });
    await sim.runUntil(() => done, { timeoutMs: 3_600_000 });
    if (error) throw error;
    return value as T;
  };
  const add = async (
    o: Partial<ConstructorParameters<typeof FastTrackNode>[0]>,
    upload?: number,
  ) => {
    const host = sim.addHost(upload ? { upload } : {});
    const node = new FastTrackNode({
      runtime: host,
      port: 1214,
      minUptimeMs: 0,
      reputation: options.reputation,
      ...o,
    } as ConstructorParameters<typeof FastTrackNode>[0]);
    nodes.push(node);
    await run(() => node.start());
    return node;
  };
  try {
    const sn = await add({ role: 'supernode', targetChildren: 1000 });
    const peers = [sn.address];
    const popular = bytes(8 * PIECE_SIZE, 7);
    for (let i = 0; i < ns; i++) {
      const s = await add(
        {
          role: 'ordinary',
          peers,
          uploadSlots: 1,
          folder: createMemoryFolder({ files: { 'hit.mp3': popular } }),
        },
        options.seederUpload ?? 2_000_000,
      );
      await run(() => s.shareFolder());
    }
    const contributors: FastTrackNode[] = [];
    for (let i = 0; i < nc; i++) {
      const c = await add({
        role: 'ordinary',
        peers,
        folder: createMemoryFolder({ files: { [`mix${i}.ogg`]: bytes(2 * PIECE_SIZE, i) } }),
      });
      await run(() => c.shareFolder());
      contributors.push(c);
    }
    const freeriders: FastTrackNode[] = [];
    for (let i = 0; i < nf; i++)
      freeriders.push(await add({ role: 'ordinary', peers, folder: createMemoryFolder() }));
    // History: each free-rider downloads one contributor's mix (so contributors gave, free-riders took).
    await run(() =>
      Promise.all(
        freeriders.map(async (f, i) => {
          const answer = await f.search(`mix${i % nc}`);
          await f.download(answer.results);
        }),
      ),
    );
    await sim.runFor(1_000);
    const level = (group: FastTrackNode[]) =>
      group.reduce((a, n) => a + sn.levelOf(n.id), 0) / group.length;
    const contributorLevel = level(contributors);
    const freeriderLevel = level(freeriders);
    // Everyone asks for the popular file at once (free-riders a little earlier).
    const times = { c: new Distribution('contributors'), f: new Distribution('free-riders') };
    await run(async () => {
      const answer = await contributors[0]!.search('hit');
      const start = (n: FastTrackNode, d: Distribution, delay: number) =>
        n.runtime.clock.sleep(delay).then(async () => {
          const t = n.runtime.clock.now();
          await n.download(answer.results, { spanPieces: 8, maxSources: 1 });
          d.record(n.runtime.clock.now() - t + delay);
        });
      await Promise.all([
        ...freeriders.map((f) => start(f, times.f, 0)),
        ...contributors.map((c) => start(c, times.c, 5)),
      ]);
    });
    const summary = (d: Distribution) => ({
      mean: d.mean,
      p50: d.percentile(50),
      p90: d.percentile(90),
    });
    return {
      reputation: options.reputation,
      contributors: summary(times.c),
      freeriders: summary(times.f),
      contributorLevel,
      freeriderLevel,
      seed,
    };
  } finally {
    await run(() => Promise.all(nodes.map((n) => n.stop())));
  }
}
