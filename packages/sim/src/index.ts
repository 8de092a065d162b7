/**
 * @p2pkit/sim: a deterministic discrete-event network simulator. Hosts are core Runtimes
 * (virtual clock, seeded random, simulated streams and datagrams), so protocol code runs
 * unchanged; one seed replays one history.
 */
export {
  type Churn,
  type ChurnOptions,
  type ChurnStats,
  churn,
  type SessionLength,
} from './churn.js';
export { SimConnection } from './connection.js';
export { type DatagramSendOptions, SimDatagramSocket } from './datagram.js';
export { HostCrashedError, SimulationError, type SimulationErrorCode } from './errors.js';
export { type HostOptions, SimHost } from './host.js';
export {
  type CoordinatesModel,
  type CoordinatesOptions,
  constant,
  coordinates,
  jitter,
  type LatencyModel,
  type LognormalOptions,
  latency,
  lognormal,
  type MatrixOptions,
  matrix,
  uniform,
} from './latency.js';
export {
  type Classifier,
  Distribution,
  type Drops,
  type Flow,
  type HostTraffic,
  type MessageType,
  Metrics,
  TimeSeries,
  Trace,
  TraceSpan,
  type Traffic,
} from './metrics.js';
export { SimListener } from './network.js';
/** The simulator's event queue (typed-array binary heap), exported for benchmarks and reuse. */
export { EventQueue } from './queue.js';
export { seedFromEnv, withSeed } from './seed.js';
export {
  type HostRef,
  type LinkOptions,
  type RunOptions,
  type ScheduledAction,
  type SimLogRecord,
  Simulation,
  type SimulationOptions,
  type StreamOptions,
} from './simulation.js';
export {
  type CatalogueOptions,
  FileCatalogue,
  type FileSharingWorkload,
  fileName,
  fileQuery,
  fileSize,
  type WorkloadQuery,
} from './workloads/file-sharing.js';
