import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BEncodable,
  bencode,
  binaryToBytes,
  fromHex,
  toHex,
  utf8,
} from '../../src/bencode/index.js';
import {
  buildAnnounceUrl,
  buildScrapeUrl,
  parseAnnounceResponse,
  parseQuery,
  parseScrapeResponse,
  percentEncodeBytes,
  scrapeUrlFor,
  TrackerError,
} from '../../src/tracker/index.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as TrackerError).code;
  }
  return 'ok';
};

describe('HTTP tracker requests', () => {
  it('percent-encodes raw bytes: unreserved kept, %XX otherwise, never +, never stops at NUL', () => {
    const bytes = new Uint8Array([
      0x00, 0x20, 0x2b, 0x41, 0x7e, 0x2d, 0x2e, 0x5f, 0xff, 0x00, 0x61,
    ]);
    expect(percentEncodeBytes(bytes)).toBe('%00%20%2BA~-._%FF%00a');
  });

  it('round-trips any 20 bytes through the encoder and the server-side query parser', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (hash) => {
        const query = parseQuery(`info_hash=${percentEncodeBytes(hash)}`)!;
        expect(binaryToBytes(query.get('info_hash')![0]!)).toEqual(hash);
      }),
    );
  });

  it('builds the announce URL, keeping a passkey query and dropping a fragment', () => {
    const params = {
      infoHash: fromHex('12'.repeat(20))!,
      peerId: utf8('-PK0001-abcdefghijkl'),
      port: 6881,
      uploaded: 1,
      downloaded: 2,
      left: 3,
      event: 'started' as const,
      numwant: 10,
      key: 0xab,
    };
    expect(buildAnnounceUrl('http://t.example:8080/announce?passkey=x#frag', params)).toBe(
      `http://t.example:8080/announce?passkey=x&info_hash=${'%12'.repeat(20)}` +
        '&peer_id=-PK0001-abcdefghijkl&port=6881&uploaded=1&downloaded=2&left=3&compact=1' +
        '&event=started&numwant=10&key=000000ab',
    );
    expect(() =>
      buildAnnounceUrl('http://x/announce', { ...params, infoHash: new Uint8Array(19) }),
    ).toThrow(RangeError);
    expect(() => buildAnnounceUrl('http://x/announce', { ...params, left: -1 })).toThrow(
      RangeError,
    );
  });

  it('derives scrape URLs as BEP 48 says', () => {
    expect(scrapeUrlFor('http://x/announce')).toBe('http://x/scrape');
    expect(scrapeUrlFor('http://x/a/announce.php?k=1')).toBe('http://x/a/scrape.php?k=1');
    expect(scrapeUrlFor('http://x/announce/other')).toBeUndefined();
    expect(scrapeUrlFor('http://x/x%064announce')).toBeUndefined();
    expect(
      buildScrapeUrl('http://x/announce', [new Uint8Array(20), new Uint8Array(20).fill(255)]),
    ).toBe(`http://x/scrape?info_hash=${'%00'.repeat(20)}&info_hash=${'%FF'.repeat(20)}`);
    expect(code(() => buildScrapeUrl('http://x/tracker', []))).toBe('ERR_TRACKER_URL');
  });
});

describe('HTTP tracker replies', () => {
  it('reads an opentracker-style compact reply', () => {
    const body = utf8(
      'd8:completei1e10:downloadedi0e10:incompletei2e8:intervali1785e12:min intervali892e5:peers12:',
    );
    const full = new Uint8Array([
      ...body,
      127,
      0,
      0,
      1,
      0x1a,
      0xe1,
      10,
      0,
      0,
      2,
      0,
      80,
      ...utf8('e'),
    ]);
    const result = parseAnnounceResponse(full);
    expect(result).toMatchObject({ interval: 1785, minInterval: 892, complete: 1, incomplete: 2 });
    expect(result.peers).toEqual([
      { host: '127.0.0.1', port: 6881 },
      { host: '10.0.0.2', port: 80 },
    ]);
  });

  it('reads dictionary peers, peers6, tracker id and warnings; skips unusable entries', () => {
    const result = parseAnnounceResponse(
      bencode({
        interval: 60,
        peers: [
          { ip: '1.2.3.4', 'peer id': new Uint8Array(20).fill(7), port: 1000 },
          { ip: 'host.example', port: 1001 },
          { ip: '::1', port: 1002 },
          { ip: 'bad host!', port: 1 },
          { ip: '1.2.3.4', port: 0 },
          { ip: '1.2.3.4', port: 70000 },
          { port: 5 },
          'junk',
        ],
        peers6: new Uint8Array([...new Uint8Array(15), 1, 0, 9]),
        'tracker id': 'abc',
        'warning message': 'be nice',
      }),
    );
    expect(result.peers).toEqual([
      { host: '1.2.3.4', port: 1000, peerId: new Uint8Array(20).fill(7) },
      { host: 'host.example', port: 1001 },
      { host: '::1', port: 1002 },
      { host: '::1', port: 9 },
    ]);
    expect(result.trackerId).toEqual(utf8('abc'));
    expect(result.warning).toBe('be nice');
  });

  it('turns a failure reason into ERR_TRACKER_FAILURE with the reason', () => {
    const body = utf8(
      'd14:failure reason63:Requested download is not authorized for use with this tracker.e',
    );
    try {
      parseAnnounceResponse(body);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TrackerError);
      expect((error as TrackerError).code).toBe('ERR_TRACKER_FAILURE');
      expect((error as TrackerError).reason).toBe(
        'Requested download is not authorized for use with this tracker.',
      );
    }
  });

  const garbage: [string, Uint8Array][] = [
    ['html', utf8('<title>Invalid Request</title>')],
    ['empty', new Uint8Array(0)],
    ['a list', bencode([1])],
    ['no interval', bencode({ peers: '' })],
    ['zero interval', bencode({ interval: 0, peers: '' })],
    ['peers an int', bencode({ interval: 5, peers: 3 })],
  ];
  for (const [what, body] of garbage) {
    it(`garbage (${what}) → ERR_TRACKER_RESPONSE`, () => {
      expect(code(() => parseAnnounceResponse(body))).toBe('ERR_TRACKER_RESPONSE');
    });
  }

  it('reads scrape replies (BEP 48 example shape)', () => {
    const x = new Uint8Array(20).fill(0x78);
    const result = parseScrapeResponse(
      bencode(
        new Map<string, BEncodable>([
          [
            'files',
            new Map<string, BEncodable>([
              ['x'.repeat(20), { complete: 11, downloaded: 13772, incomplete: 19 }],
              ['short', {}],
            ]),
          ],
        ]),
      ),
    );
    expect([...result]).toEqual([[toHex(x), { complete: 11, downloaded: 13772, incomplete: 19 }]]);
    expect(code(() => parseScrapeResponse(utf8('d15:failure_reason3:nope')))).toBe(
      'ERR_TRACKER_RESPONSE',
    );
    expect(code(() => parseScrapeResponse(utf8('d14:failure_reason4:nopee')))).toBe(
      'ERR_TRACKER_FAILURE',
    );
    expect(code(() => parseScrapeResponse(bencode({})))).toBe('ERR_TRACKER_RESPONSE');
  });

  it("repairs npm bittorrent-tracker's UTF-8-mangled scrape keys", () => {
    const hash = new Uint8Array([0x01, 0x89, 0xab, 0xff, ...new Uint8Array(16).fill(0xc3)]);
    const mangled = utf8(String.fromCharCode(...hash)); // Latin-1 read, UTF-8 written: 36 bytes
    const body = new Uint8Array([
      ...utf8(`d5:filesd${mangled.length}:`),
      ...mangled,
      ...utf8('d8:completei3eeee'),
    ]);
    expect([...parseScrapeResponse(body).keys()]).toEqual([toHex(hash)]);
  });

  it('fuzz: announce and scrape parsers throw only TrackerError', () => {
    const value = fc.letrec<{ v: BEncodable }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: -10, max: 100000 }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(
          fc.constantFrom(
            'interval',
            'peers',
            'peers6',
            'ip',
            'port',
            'peer id',
            'files',
            'complete',
            'failure reason',
            'tracker id',
            'min interval',
            'x'.repeat(20),
          ),
          tie('v'),
          { maxKeys: 6 },
        ),
      ),
    })).v;
    fc.assert(
      fc.property(
        fc.oneof(
          value.map((v) => bencode(v)),
          fc.uint8Array({ maxLength: 100 }),
        ),
        (body) => {
          for (const parse of [parseAnnounceResponse, parseScrapeResponse]) {
            try {
              parse(body);
            } catch (error) {
              if (!(error instanceof TrackerError)) throw error;
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
