import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatSearchQuery,
  parseSearchQuery,
  type SearchQuery,
  SearchQueryError,
  tokenizeText,
} from '../src/index.js';

describe('the search grammar', () => {
  it("parses the document's examples", () => {
    expect(
      parseSearchQuery(
        'FILENAME CONTAINS "Sneaker Pimps" MAX_RESULTS 75 FILENAME CONTAINS "tesko suicide" BITRATE "AT LEAST" "128"',
      ),
    ).toEqual({
      contains: ['Sneaker Pimps', 'tesko suicide'],
      maxResults: 75,
      bitrate: { min: 128 },
    });
    expect(
      parseSearchQuery('MAX_RESULTS 100 FILENAME CONTAINS "Ventolin" LINESPEED "EQUAL TO" 10'),
    ).toEqual({
      contains: ['Ventolin'],
      maxResults: 100,
      linkType: { min: 10, max: 10 },
    });
  });

  it('is case-insensitive, and knows the OpenNap additions', () => {
    expect(
      parseSearchQuery(
        'filename contains "a b" filename excludes "live" size "at best" "1000" Duration "At Least" "60" freq "AT MOST" "48000" type audio local',
      ),
    ).toEqual({
      contains: ['a b'],
      excludes: ['live'],
      size: { max: 1000 },
      duration: { min: 60 },
      frequency: { max: 48000 },
      type: 'audio',
      local: true,
    });
  });

  it('accepts a comparison written without its quotes', () => {
    expect(parseSearchQuery('FILENAME CONTAINS x BITRATE AT LEAST 128')).toEqual({
      contains: ['x'],
      bitrate: { min: 128 },
    });
  });

  it.each([
    ['FILENAME CONTAINS "x" COLOR blue', 'invalid search request'],
    ['FILENAME HAS "x"', 'invalid search request'],
    ['FILENAME CONTAINS', 'invalid search request'],
    ['MAX_RESULTS many', 'invalid search request'],
    ['BITRATE "AT LEAST"', 'invalid search request'],
    ['BITRATE "ROUGHLY" "128"', 'roughly: invalid comparison for search'],
    ['TYPE sound', 'sound: invalid type for search'],
    ['FILENAME CONTAINS "unterminated', 'invalid search request'],
  ])('refuses %s as OpenNap does', (text, reply) => {
    let error: unknown;
    try {
      parseSearchQuery(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SearchQueryError);
    expect((error as SearchQueryError).reply).toBe(reply);
  });

  it('formats queries that parse back to themselves', () => {
    const phrase = fc.string({ maxLength: 20 }).filter((s) => !s.includes('"'));
    const bound = fc.nat({ max: 1e12 });
    const range = fc.record({ min: bound, max: bound }, { requiredKeys: [] });
    const arbQuery: fc.Arbitrary<SearchQuery> = fc.record(
      {
        contains: fc.array(phrase, { maxLength: 3 }),
        excludes: fc.array(phrase, { minLength: 1, maxLength: 2 }),
        maxResults: fc.nat(1000),
        linkType: range,
        bitrate: range,
        frequency: range,
        size: range,
        duration: range,
        type: fc.constantFrom('mp3', 'video', 'any' as const),
        local: fc.constant(true),
      },
      { requiredKeys: ['contains'] },
    );
    fc.assert(
      fc.property(arbQuery, (query) => {
        const expected = structuredClone(query);
        for (const key of ['linkType', 'bitrate', 'frequency', 'size', 'duration'] as const) {
          if (expected[key] && Object.keys(expected[key]).length === 0) delete expected[key];
        }
        expect(parseSearchQuery(formatSearchQuery(query))).toEqual(expected);
      }),
    );
  });

  it('never throws anything but SearchQueryError on random text', () => {
    const parts = fc.constantFrom(
      'FILENAME',
      'CONTAINS',
      '"',
      'AT',
      'LEAST',
      'BITRATE',
      '12',
      ' ',
      'x',
      'TYPE',
      'SIZE',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(parts, { maxLength: 12 }).map((a) => a.join(' ')),
        ),
        (text) => {
          try {
            parseSearchQuery(text);
          } catch (error) {
            expect(error).toBeInstanceOf(SearchQueryError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('words', () => {
  it('cuts on anything but letters, digits and apostrophes; folds ASCII case; drops OpenNap stopwords', () => {
    expect(tokenizeText("C:\\My Music\\The Beatles - Don't Let Me Down (Live).MP3")).toEqual([
      'beatles',
      "don't",
      'let',
      'down',
    ]);
  });

  it('keeps non-ASCII letters inside words and drops duplicates', () => {
    expect(tokenizeText('Björk - Jóga jóga')).toEqual(['bj\u00c3\u00b6rk', 'j\u00c3\u00b3ga']);
  });
});
