/**
 * A file-sharing workload that does not depend on the protocol: a catalogue of files, which
 * nodes hold each one (replication), and which file each query looks for and from which node
 * (popularity). The Gnutella and FastTrack scenarios both draw from it, so one seed gives the
 * same shares and the same queries to every protocol being compared.
 *
 * Every draw comes from the Random handed in, in a fixed order, so a scenario that passes
 * the same stream gets the same catalogue bit for bit.
 */
import type { Random } from '@p2pkit/core';

/** The protocol-neutral options of a file-sharing simulation. */
export interface FileSharingWorkload {
  nodes: number;
  queries: number;
  /** Distinct files (default 100). */
  files?: number;
  /** Fraction of nodes holding each file (default 0.01, at least one copy). */
  replication?: number;
  /** Mean one-way latency, ms (default 50). */
  latencyMs?: number;
  /** Virtual ms between two queries (default 100). */
  queryIntervalMs?: number;
  /** How long a query collects hits, virtual ms (default 10,000). */
  queryTimeoutMs?: number;
  seed?: number;
}

/** The file a query looks for: fixed-width names, so one query word matches one file only. */
export function fileName(k: number): string {
  return `song${String(k).padStart(6, '0')}.mp3`;
}

/** The keyword that finds file k (and no other). */
export function fileQuery(k: number): string {
  return `song${String(k).padStart(6, '0')}`;
}

/** Size of file k in bytes: about 4 MB, an MP3 of the period, distinct per file. */
export function fileSize(k: number): number {
  return 4_000_000 + k;
}

export interface CatalogueOptions {
  nodes: number;
  /** Distinct files (default 100). */
  files?: number;
  /** Fraction of nodes holding each file (default 0.01, at least one copy). */
  replication?: number;
  /**
   * Zipf exponent of query popularity: file k is asked for with probability proportional to
   * 1/(k+1)^s. 0 (default) = every file equally likely.
   */
  popularity?: number;
}

/** One query of the workload: the file searched for, and the node that searches. */
export interface WorkloadQuery {
  readonly file: number;
  readonly from: number;
}

/**
 * Files placed on nodes. Each file gets max(1, round(replication x nodes)) holders drawn
 * uniformly without replacement (one shuffle of the node indices per file).
 */
export class FileCatalogue {
  readonly nodes: number;
  readonly files: number;
  readonly replication: number;
  readonly popularity: number;
  /** holders[k]: indices of the nodes holding file k. */
  readonly holders: readonly (readonly number[])[];
  #shares: number[][] | undefined;
  #cdf: Float64Array | undefined;

  constructor(random: Random, options: CatalogueOptions) {
    const nodes = options.nodes;
    this.nodes = nodes;
    this.files = options.files ?? 100;
    this.replication = options.replication ?? 0.01;
    this.popularity = options.popularity ?? 0;
    const copies = Math.min(nodes, Math.max(1, Math.round(this.replication * nodes)));
    const all = Array.from({ length: nodes }, (_, i) => i);
    const holders: number[][] = [];
    for (let k = 0; k < this.files; k++) holders.push(random.shuffle(all.slice()).slice(0, copies));
    this.holders = holders;
  }

  /** The files node i holds, in increasing order. */
  sharesOf(node: number): readonly number[] {
    if (!this.#shares) {
      const shares: number[][] = Array.from({ length: this.nodes }, () => []);
      this.holders.forEach((list, k) => {
        for (const i of list) shares[i]!.push(k);
      });
      this.#shares = shares;
    }
    return this.#shares[node] ?? [];
  }

  /** A file drawn by popularity: uniform when popularity is 0 (one `int` draw). */
  pickFile(random: Random): number {
    if (this.popularity <= 0) return random.int(this.files);
    const cdf = this.#zipf();
    const u = random.float() * cdf[cdf.length - 1]!;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * The next query: a file by popularity, asked from a node that does not hold it when one
   * is found within ten draws (so a query measures the search, not a local lookup).
   */
  pickQuery(random: Random): WorkloadQuery {
    const file = this.pickFile(random);
    const holders = this.holders[file]!;
    let from = random.int(this.nodes);
    for (let tries = 0; tries < 10 && holders.includes(from); tries++)
      from = random.int(this.nodes);
    return { file, from };
  }

  #zipf(): Float64Array {
    if (!this.#cdf) {
      const cdf = new Float64Array(this.files);
      let sum = 0;
      for (let k = 0; k < this.files; k++) {
        sum += 1 / (k + 1) ** this.popularity;
        cdf[k] = sum;
      }
      this.#cdf = cdf;
    }
    return this.#cdf;
  }
}
