import { describe, expect, it } from 'vitest';
import { gnutellaStep } from '../src/tour/gnutella.js';

describe('tour: gnutella step', () => {
  it('searches through ultrapeers (QRP to one leaf of four) and downloads through a Push', async () => {
    const rows = await gnutellaStep.run(AbortSignal.timeout(30_000));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.result).toMatch(
      /^hit from 127\.0\.0\.1:\d+ in \d+ ms; QRP sent it to 1 of 4 leaves$/,
    );
    expect(rows[1]!.result).toMatch(
      /^96000 bytes via Push\/GIV in \d+ ms, urn:sha1:[A-Z2-7]{8}… verified$/,
    );
  }, 30_000);
});
