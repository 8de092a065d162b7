/**
 * The benchmark's server process: one NapsterServer on 127.0.0.1 (real TCP), driven by
 * scale.js over IPC. Its own process, so that its memory and CPU are its own.
 *
 *   node --expose-gc bench/server.js   (forked by bench/scale.js)
 */
import { realRuntime } from '@p2pkit/core/node';
import { createNapsterServer } from '../dist/index.js';

const runtime = realRuntime({ host: '127.0.0.1' });
const server = createNapsterServer({
  runtime,
  port: 0,
  maxShares: Number(process.env.MAX_SHARES ?? 5000),
  loginTimeoutMs: 600_000,
  // The load generator reads as fast as it can; a burst of results must not drop it.
  maxQueuedBytes: 256 << 20,
});
const { port } = await server.start();
const memory = () => {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage();
};
const baseline = memory();
process.send({ type: 'listening', port, baseline });
process.on('message', async (m) => {
  if (m.type === 'stats') {
    process.send({
      type: 'stats',
      stats: server.stats(),
      cpu: process.cpuUsage(),
      ...(m.memory ? { memory: memory(), indexBytes: server.indexBytes() } : {}),
    });
  } else if (m.type === 'stop') {
    await server.stop();
    await runtime.close();
    process.exit(0);
  }
});
