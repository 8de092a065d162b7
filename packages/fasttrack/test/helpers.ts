import { type SimHost, Simulation } from '@p2pkit/sim';
import { FastTrackNode } from '../src/node.js';
import type { FastTrackOptions, LocalFile } from '../src/options.js';
import { fileEntry } from '../src/scenarios/world.js';

export type NodeSpec = Omit<FastTrackOptions, 'runtime'> & {
  firewalledHost?: boolean;
  /** Host upload capacity, bytes/s. */
  upload?: number;
};

/** A small simulated network built node by node, for protocol tests. */
export class Net {
  readonly sim: Simulation;
  readonly nodes: FastTrackNode[] = [];
  readonly hosts: SimHost[] = [];

  constructor(readonly seed = 1) {
    this.sim = new Simulation({ seed });
  }

  /** Runs `action` inside the simulation and waits for it (virtual time). */
  async run<T>(action: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
    let done = false;
    let value: T | undefined;
    let error: unknown;
    this.sim.at(this.sim.now, async () => {
      try {
        value = await action();
      } catch (e) {
        error = e;
      } finally {
        done = true;
      }
    });
    await this.sim.runUntil(() => done, { timeoutMs });
    if (error) throw error;
    return value as T;
  }

  async add(spec: NodeSpec): Promise<FastTrackNode> {
    const host = this.sim.addHost({
      ...(spec.firewalledHost ? { firewalled: true } : {}),
      ...(spec.upload ? { upload: spec.upload } : {}),
    });
    const node = new FastTrackNode({
      port: 1214,
      minUptimeMs: 0,
      refreshIntervalMs: 10_000,
      ...spec,
      runtime: host,
    });
    this.hosts.push(host);
    this.nodes.push(node);
    await this.run(() => node.start());
    return node;
  }

  async stop(): Promise<void> {
    await this.run(() =>
      Promise.all(this.nodes.map((n, i) => (this.hosts[i]!.alive ? n.stop() : undefined))),
    );
  }
}

export function files(...ks: number[]): LocalFile[] {
  return ks.map(fileEntry);
}
