/**
 * Runs independent CPU-bound jobs on worker threads, a fresh worker per job, longest first.
 *
 * Threads rather than child processes: they die with the process whatever ends it (Ctrl-C, a
 * kill, an exception), so no run can be left behind as an orphan, and a result comes back as a
 * message instead of through a pipe. A fresh worker per job keeps each run alone in its own
 * isolate, as `p2pkit sim <protocol>` runs it: no module state carried from one run into the
 * next, so the figures do not depend on which runs shared a worker (same seed, same figures).
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';

export interface PoolJob<T> {
  /** What the worker is given (structured-cloned). */
  data: T;
  /** Relative cost: the longest jobs start first, so that the workers end at about one time. */
  estimate: number;
  /** For messages: what the job is (e.g. `kelips N=1000`). */
  label: string;
}

export interface PoolOptions {
  /** The worker script: it reads `workerData`, may post `{ type: 'progress', fraction }`, and
   * ends by posting `{ type: 'result', json }` (the result as JSON) or `{ type: 'error', message }`. */
  script: URL;
  /** Workers at once. */
  workers: number;
  /** A job started (index into the jobs). */
  onStart?: (index: number) => void;
  /** How far a running job is, 0..1. */
  onProgress?: (index: number, fraction: number) => void;
  /** A job ended with its result. */
  onDone?: (index: number) => void;
  /** Terminates every running worker and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** V8 limits of each worker (e.g. a larger young generation for simulations). */
  resourceLimits?: ResourceLimits;
}

/** A job's failure: which job, and the worker's own message. */
export class JobError extends Error {
  constructor(
    readonly label: string,
    readonly reason: string,
  ) {
    super(`${label} failed: ${reason}`);
    this.name = 'JobError';
  }
}

type Message =
  | { type: 'progress'; fraction: number }
  | { type: 'result'; json: string }
  | { type: 'error'; message: string };

/** Longest first (ties in the given order): the order jobs start in. */
export function longestFirst<T>(jobs: readonly PoolJob<T>[]): number[] {
  return jobs
    .map((job, index) => ({ index, estimate: job.estimate }))
    .sort((a, b) => b.estimate - a.estimate || a.index - b.index)
    .map((j) => j.index);
}

/**
 * Runs every job and resolves with their results in the jobs' order (not the order they end
 * in). The first failure terminates the other workers and rejects with a JobError.
 */
export function runPool<T, R>(jobs: readonly PoolJob<T>[], options: PoolOptions): Promise<R[]> {
  const order = longestFirst(jobs);
  const results: R[] = new Array(jobs.length);
  const running = new Set<Worker>();
  let next = 0;
  let finished = 0;
  let settled = false;
  return new Promise<R[]>((resolve, reject) => {
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      for (const w of running) void w.terminate();
      running.clear();
      reject(error);
    };
    const abort = () => fail(options.signal?.reason);
    if (options.signal?.aborted) return abort();
    options.signal?.addEventListener('abort', abort, { once: true });

    const start = (index: number) => {
      const job = jobs[index] as PoolJob<T>;
      const worker = new Worker(options.script, {
        workerData: job.data,
        ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      });
      running.add(worker);
      options.onStart?.(index);
      let done = false;
      const end = () => {
        done = true;
        running.delete(worker);
        void worker.terminate();
      };
      worker.on('message', (m: Message) => {
        if (settled || done) return;
        if (m.type === 'progress') options.onProgress?.(index, m.fraction);
        else if (m.type === 'error') {
          end();
          fail(new JobError(job.label, m.message));
        } else if (m.type === 'result') {
          end();
          results[index] = JSON.parse(m.json) as R;
          finished++;
          options.onDone?.(index);
          if (finished === jobs.length) {
            settled = true;
            options.signal?.removeEventListener('abort', abort);
            resolve(results);
          } else if (next < order.length) start(order[next++] as number);
        }
      });
      worker.on('error', (error) => {
        if (done) return;
        end();
        fail(new JobError(job.label, error.message));
      });
      worker.on('exit', (code) => {
        if (done || settled) return;
        end();
        fail(new JobError(job.label, `its worker exited (code ${code}) without a result`));
      });
    };
    if (jobs.length === 0) {
      settled = true;
      resolve(results);
      return;
    }
    const first = Math.max(1, Math.min(options.workers, jobs.length));
    while (next < first) start(order[next++] as number);
  });
}
