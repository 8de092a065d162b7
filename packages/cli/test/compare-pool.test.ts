/**
 * The worker pool behind `p2pkit compare --jobs`: the longest jobs start first, results come back
 * in the jobs' order whatever order they end in, a job's failure is one JobError naming the job
 * (and the other workers are terminated), and an abort terminates the workers at once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { JobError, longestFirst, type PoolJob, runPool } from '../src/compare/pool.js';

const dir = mkdtempSync(join(tmpdir(), 'p2pkit-compare-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A worker that does what its data says: spin for `ms` then answer `{ n: n * n }`, throw, exit
 * without an answer, or never end. It posts progress halfway, and the order it started in.
 */
const script = pathToFileURL(join(dir, 'worker.mjs'));
writeFileSync(
  script,
  `import { parentPort, workerData } from 'node:worker_threads';
const { n, ms, does } = workerData;
parentPort.postMessage({ type: 'progress', fraction: 0.5 });
if (does === 'throw') throw new Error('bad input ' + n);
if (does === 'fail') parentPort.postMessage({ type: 'error', message: 'no route to ' + n });
else if (does === 'exit') process.exit(3);
else if (does === 'hang') for (;;) {}
else {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
  parentPort.postMessage({ type: 'result', json: JSON.stringify({ n: n * n }) });
}
`,
);

interface Data {
  n: number;
  ms?: number;
  does?: 'throw' | 'fail' | 'exit' | 'hang';
}

const job = (data: Data, estimate = 1): PoolJob<Data> => ({
  data,
  estimate,
  label: `job ${data.n}`,
});

describe('runPool', () => {
  it('orders jobs longest first, ties in the given order', () => {
    expect(
      longestFirst([job({ n: 0 }, 1), job({ n: 1 }, 5), job({ n: 2 }, 1), job({ n: 3 }, 9)]),
    ).toEqual([3, 1, 0, 2]);
  });

  it('starts the longest jobs first and returns the results in the jobs’ order', async () => {
    const started: number[] = [];
    const progress: number[] = [];
    const done: number[] = [];
    const jobs = [job({ n: 1, ms: 10 }, 1), job({ n: 2, ms: 200 }, 10), job({ n: 3, ms: 10 }, 2)];
    const results = await runPool<Data, { n: number }>(jobs, {
      script,
      workers: 2,
      onStart: (i) => started.push(i),
      onProgress: (i, f) => progress.push(i + f),
      onDone: (i) => done.push(i),
    });
    expect(results).toEqual([{ n: 1 }, { n: 4 }, { n: 9 }]);
    // Two workers: the two longest start at once, the shortest when one of them is done.
    expect(started.slice(0, 2)).toEqual([1, 2]);
    expect(started).toHaveLength(3);
    expect([...done].sort()).toEqual([0, 1, 2]);
    expect([...progress].sort()).toEqual([0.5, 1.5, 2.5]);
  });

  it.each([
    ['throws', { n: 7, does: 'throw' }, 'job 7 failed: bad input 7'],
    ['reports an error', { n: 8, does: 'fail' }, 'job 8 failed: no route to 8'],
    ['exits without a result', { n: 9, does: 'exit' }, /^job 9 failed: .*exited \(code 3\)/],
  ] as const)('a job that %s rejects with one JobError naming it', async (_, data, message) => {
    const error = await runPool([job({ n: 1, does: 'hang' }, 5), job(data as Data)], {
      script,
      workers: 2,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobError);
    expect((error as Error).message).toMatch(message);
    // The hanging job's worker was terminated, or this test would never end.
  });

  it('terminates every worker when aborted', async () => {
    const stop = new AbortController();
    const running = runPool([job({ n: 1, does: 'hang' }), job({ n: 2, does: 'hang' })], {
      script,
      workers: 2,
      signal: stop.signal,
      onProgress: () => stop.abort(new Error('interrupted')),
    });
    await expect(running).rejects.toThrow('interrupted');
  });
});
