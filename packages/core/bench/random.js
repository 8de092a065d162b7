// The seeded PRNG (sfc32) the simulator draws from, and the cost of a disabled log call.
import { createLogger, createRandom } from '../dist/index.js';
import { consume, opsPerSecond, row } from './lib.js';

export const name = 'random';

export function run() {
  const random = createRandom(42);
  const log = createLogger({ namespace: 'p2pkit:bench' }).extend('off');
  return [
    row(
      name,
      'random.u32()',
      opsPerSecond(() => consume(random.u32())),
      'draws/s',
    ),
    row(
      name,
      'random.float() (53 bits)',
      opsPerSecond(() => consume(random.float() * 10)),
      'draws/s',
    ),
    row(
      name,
      'random.int(1000) (rejection, exact)',
      opsPerSecond(() => consume(random.int(1000))),
      'draws/s',
    ),
    row(
      name,
      'Math.random() (for comparison)',
      opsPerSecond(() => consume(Math.random() * 10)),
      'draws/s',
    ),
    row(
      name,
      'random.fork(label)',
      opsPerSecond((i) => consume(random.fork(i).u32())),
      'forks/s',
      'incl. one draw',
    ),
    row(
      name,
      'disabled log("msg", arg)',
      opsPerSecond((i) => log('message %d', i)),
      'calls/s',
    ),
  ];
}
