/** A node's options with their defaults filled in (the defaults are documented in options.ts). */
import type { FastTrackOptions } from './options.js';

/** FastTrack's port. */
export const DEFAULT_PORT = 1214;

export type Resolved = Required<
  Omit<FastTrackOptions, 'advertise' | 'folder' | 'files' | 'host' | 'claimedLevel'>
> &
  Pick<FastTrackOptions, 'advertise' | 'folder' | 'host' | 'claimedLevel'>;

export function resolveOptions(o: FastTrackOptions): Resolved {
  const target = o.targetChildren ?? 100;
  return {
    ...o,
    role: o.role ?? 'auto',
    port: o.port ?? DEFAULT_PORT,
    peers: o.peers ?? [],
    firewalled: o.firewalled ?? false,
    uploadKBps: o.uploadKBps ?? 0,
    targetChildren: target,
    maxChildren: o.maxChildren ?? 2 * target,
    targetPeers: o.targetPeers ?? 8,
    maxPeers: o.maxPeers ?? 32,
    queryTtl: o.queryTtl ?? 3,
    queryTimeoutMs: o.queryTimeoutMs ?? 5_000,
    maxSharesPerChild: o.maxSharesPerChild ?? 5_000,
    reputation: o.reputation ?? 'observed',
    minUptimeMs: o.minUptimeMs ?? 120_000,
    minUploadKBps: o.minUploadKBps ?? 16,
    stepDownAfterMs: o.stepDownAfterMs ?? 300_000,
    maintenanceIntervalMs: o.maintenanceIntervalMs ?? 5_000,
    refreshIntervalMs: o.refreshIntervalMs ?? 30_000,
    uploadSlots: o.uploadSlots ?? 4,
    uploadQueue: o.uploadQueue ?? 64,
    pushTimeoutMs: o.pushTimeoutMs ?? 20_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
  };
}
