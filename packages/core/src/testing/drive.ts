/** What a suite needs to wait on a network: settle it, and move virtual time if it has any. */
export interface Drivable {
  settle(): Promise<void>;
  advance?(ms: number): Promise<void>;
}

/**
 * Waits for `promise`. On a real network that is all; on a virtual one (a harness with
 * `advance`) time is moved forward `stepMs` at a time until the promise settles, and more than
 * `waitMs` of virtual time is a failure naming `what`.
 */
export async function driveUntil<T>(
  network: Drivable,
  promise: Promise<T>,
  what: string,
  stepMs: number,
  waitMs: number,
): Promise<T> {
  if (!network.advance) return promise;
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  // Keep the rejection handled while we drive time; `tracked` rethrows it below.
  tracked.catch(() => {});
  await network.settle();
  for (let waited = 0; !settled; waited += stepMs) {
    if (waited > waitMs)
      throw new Error(`${what}: did not happen within ${waitMs} ms of virtual time`);
    await network.advance(stepMs);
  }
  return tracked;
}
