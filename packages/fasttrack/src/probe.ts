/**
 * The upload probe a supernode runs before believing a supernode claim: it times a
 * `GET /.probe=65536` from the claimant's port, which also proves the claimant reachable.
 */
import { type Address, formatAddress, httpRequest, type Runtime } from '@p2pkit/core';

/** Bytes of the upload probe a supernode times before believing a supernode claim. */
const PROBE_BYTES = 65_536;
/** Times a GET /.probe from `address`: KB/s, or 0 when it cannot be reached. */
export async function measureUpload(
  runtime: Runtime,
  address: Address,
  timeoutMs: number,
): Promise<number> {
  const started = runtime.clock.now();
  try {
    const response = await httpRequest(
      runtime,
      `http://${formatAddress(address)}/.probe=${PROBE_BYTES}`,
      {
        timeoutMs,
      },
    );
    if (response.status !== 200) {
      await response.body.discard().catch(() => {});
      return 0;
    }
    const body = await response.body.bytes(PROBE_BYTES + 1);
    if (body.length !== PROBE_BYTES) return 0;
    const ms = Math.max(1, runtime.clock.now() - started);
    return PROBE_BYTES / 1024 / (ms / 1000);
  } catch {
    return 0;
  }
}
