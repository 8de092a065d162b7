/**
 * The node's internals that its modules (membership.ts, operations.ts) read: one object per
 * node implements them (KelipsNode's context), so each module states only what it adds.
 */
import type { Clock, DatagramRpc, Random } from '@p2pkit/core';
import type { ResolvedOptions } from './options.js';
import type { SoftState } from './state.js';
import type { FileStore } from './store.js';
import type { KelipsStats } from './types.js';

export interface NodeInternals {
  readonly rpc: DatagramRpc;
  readonly state: SoftState;
  readonly options: ResolvedOptions;
  readonly store: FileStore;
  readonly stats: KelipsStats;
  readonly clock: Clock;
  readonly random: Random;
  /** k of the system. */
  readonly groups: number;
  /** This node's heartbeat counter. */
  readonly heartbeat: number;
}
