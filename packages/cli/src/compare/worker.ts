/**
 * One (protocol, N) run of `p2pkit compare` on a worker thread (see pool.ts): runs the
 * protocol's adapter on the workload it is given, posts its progress now and then, and ends by
 * posting the row as JSON, or the error's message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { adapter } from './protocols/index.js';
import type { Workload } from './types.js';

/** Progress messages at most this often: a simulation reports far more often than a bar shows. */
const PROGRESS_MS = 200;

const port = parentPort;
if (!port) throw new Error('compare-worker runs on a worker thread of p2pkit compare');
const { protocol, workload } = workerData as { protocol: string; workload: Workload };
let last = Number.NEGATIVE_INFINITY;
try {
  const row = await adapter(protocol).run(workload, (fraction) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    port.postMessage({ type: 'progress', fraction });
  });
  port.postMessage({ type: 'result', json: JSON.stringify(row) });
} catch (error) {
  port.postMessage({
    type: 'error',
    message: error instanceof Error ? error.message : String(error),
  });
}
