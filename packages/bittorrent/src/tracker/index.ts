export {
  Announcer,
  type AnnouncerEvents,
  type AnnouncerOptions,
  type AnnouncerStats,
  createAnnouncer,
  type TrackerStatus,
} from './announcer.js';
export {
  createTrackerClient,
  type TrackerClient,
  type TrackerClientOptions,
  type TrackerRequestOptions,
} from './client.js';
export {
  decodeCompactPeers,
  encodeCompactPeers,
  formatIp,
  type IpFamily,
  ipFamily,
  parseIp,
  type TrackerPeer,
} from './compact.js';
export { TrackerError, type TrackerErrorCode } from './errors.js';
export {
  buildAnnounceUrl,
  buildScrapeUrl,
  type HttpTrackerOptions,
  httpAnnounce,
  httpScrape,
  parseAnnounceResponse,
  parseScrapeResponse,
  percentEncodeBytes,
  scrapeUrlFor,
} from './http-client.js';
export {
  createTracker,
  parseQuery,
  type TrackerServer,
  type TrackerServerOptions,
} from './server.js';
export type { SwarmLimits } from './swarms.js';
export type {
  AnnounceEvent,
  AnnounceParams,
  AnnounceResult,
  ScrapeEntry,
  ScrapeResult,
} from './types.js';
export {
  parseUdpTrackerUrl,
  UdpTrackerClient,
  type UdpTrackerClientOptions,
} from './udp-client.js';
export * as udpTrackerPackets from './udp-packets.js';
