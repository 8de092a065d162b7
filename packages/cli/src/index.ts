/** Programmatic entry of the p2pkit command (the `p2pkit` bin is the usual way in). */
export { createProgram, main } from './program.js';
export { runTour, type TourRow, type TourStep } from './tour/run.js';
