/**
 * Transmission 3.00 (transmission-daemon, Debian's) and our client trade a 3 MiB file both ways,
 * through opentracker and through our tracker (see two-way.ts). Skipped where Transmission or
 * opentracker is missing; in CI (which installs them) that is a failure.
 */
import { startTransmission } from './external.js';
import { describeWithTools, findTool } from './tools.js';
import { twoWayTests } from './two-way.js';

const TRANSMISSION = findTool('transmission-daemon');
const OPENTRACKER = findTool('opentracker');

describeWithTools(
  'Transmission as a peer',
  { 'transmission-daemon': TRANSMISSION, opentracker: OPENTRACKER },
  () => {
    twoWayTests(
      'Transmission',
      (dir, host) => startTransmission(TRANSMISSION!, dir, host),
      OPENTRACKER,
      { ours: '127.0.0.111', theirs: '127.0.0.1' },
      true,
    );
  },
);
