import { bittorrentStep } from './bittorrent.js';
import { chordStep } from './chord.js';
import { compareStep } from './compare.js';
import { coreSteps } from './core.js';
import { fasttrackStep } from './fasttrack.js';
import { gnutellaStep } from './gnutella.js';
import { kelipsStep } from './kelips.js';
import { napsterStep } from './napster.js';
import { pastryStep } from './pastry.js';
import type { TourStep } from './run.js';

/** The tour's steps, in order. Each landed protocol adds its step here. */
export const tourSteps: readonly TourStep[] = [
  ...coreSteps,
  napsterStep,
  gnutellaStep,
  fasttrackStep,
  bittorrentStep,
  chordStep,
  pastryStep,
  kelipsStep,
  compareStep,
];
