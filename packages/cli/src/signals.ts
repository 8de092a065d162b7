/**
 * Resolves with the name of the first SIGINT or SIGTERM; removes its handlers afterwards, or
 * when `abort` fires (then it never resolves, and the default handlers are back).
 */
export function untilSignal(abort?: AbortSignal): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    if (abort?.aborted) return;
    const off = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
    const on = (signal: NodeJS.Signals) => {
      off();
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    abort?.addEventListener('abort', off, { once: true });
  });
}
