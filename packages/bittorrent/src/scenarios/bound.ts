/**
 * The fluid lower bound on the time to distribute one file (Kumar & Ross, "Peer-Assisted File
 * Distribution: The Minimum Distribution Time", IEEE HotWeb 2006):
 *
 *   T_min = max( F/u_s, F/d_min, N·F/(u_s + Σu_i) )
 *
 * F the file size, u_s the seeds' upload, u_i and d_i the N leechers' upload and download. No
 * schedule beats it: the seeds must send every byte once, the slowest downloader must receive
 * F, and N copies must cross the swarm's total upload. The fluid model reaches it; a real
 * protocol pays for pieces, latency, choking and overhead.
 */
export interface FluidBound {
  /** T_min in seconds. */
  readonly seconds: number;
  /** F / u_s: the seeds send each byte at least once. */
  readonly seedTerm: number;
  /** F / d_min: the slowest downloader receives the whole file. */
  readonly downloadTerm: number;
  /** N·F / (u_s + Σu_i): N copies through the swarm's total upload. */
  readonly swarmTerm: number;
  /** Which term decides. */
  readonly limitedBy: 'seed' | 'download' | 'swarm';
}

/**
 * `size` in bytes, rates in bytes/s; `seedUpload` is the seeds' total. Downloads default to
 * unlimited (the download term is then 0).
 */
export function fluidBound(
  size: number,
  seedUpload: number,
  uploads: readonly number[],
  downloads: readonly number[] = [],
): FluidBound {
  if (!(size > 0)) throw new RangeError(`size must be > 0 (got ${size})`);
  if (!(seedUpload > 0)) throw new RangeError(`seed upload must be > 0 (got ${seedUpload})`);
  let total = seedUpload;
  for (const u of uploads) {
    if (!(u >= 0)) throw new RangeError(`upload rates must be >= 0 (got ${u})`);
    total += u;
  }
  let dMin = Number.POSITIVE_INFINITY;
  for (const d of downloads) {
    if (!(d > 0)) throw new RangeError(`download rates must be > 0 (got ${d})`);
    if (d < dMin) dMin = d;
  }
  const seedTerm = size / seedUpload;
  const downloadTerm = dMin === Number.POSITIVE_INFINITY ? 0 : size / dMin;
  const swarmTerm = (uploads.length * size) / total;
  const seconds = Math.max(seedTerm, downloadTerm, swarmTerm);
  const limitedBy = seconds === swarmTerm ? 'swarm' : seconds === seedTerm ? 'seed' : 'download';
  return { seconds, seedTerm, downloadTerm, swarmTerm, limitedBy };
}
