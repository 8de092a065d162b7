/**
 * qBittorrent 4.5 (qbittorrent-nox, libtorrent, Debian's) and our client trade a 3 MiB file both
 * ways, through opentracker and through our tracker (see two-way.ts). Skipped where qBittorrent
 * or opentracker is missing; in CI (which installs them) that is a failure.
 */
import { startQbittorrent } from './external.js';
import { describeWithTools, findTool } from './tools.js';
import { twoWayTests } from './two-way.js';

const QBITTORRENT = findTool('qbittorrent-nox');
const OPENTRACKER = findTool('opentracker');

describeWithTools(
  'qBittorrent as a peer',
  { 'qbittorrent-nox': QBITTORRENT, opentracker: OPENTRACKER },
  () => {
    twoWayTests(
      'qBittorrent',
      (dir, host) => startQbittorrent(QBITTORRENT!, dir, host),
      OPENTRACKER,
      { ours: '127.0.0.121', theirs: '127.0.0.1' },
      false,
    );
  },
);
