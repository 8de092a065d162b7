/**
 * The search request grammar (message 200), as drscholl's document describes it and OpenNap
 * (search.c) accepts it. Tokens are case-insensitive, in any order, separated by spaces:
 *
 *   FILENAME CONTAINS "<words>"     repeatable, implicit AND
 *   FILENAME EXCLUDES "<words>"     OpenNap: no result may contain these words
 *   MAX_RESULTS <n>                 the server caps it (0 = the server's maximum)
 *   LINESPEED <cmp> <n>             link type 0-10
 *   BITRATE <cmp> "<kbps>"
 *   FREQ <cmp> "<hz>"
 *   SIZE <cmp> "<bytes>"            OpenNap
 *   DURATION <cmp> "<seconds>"      OpenNap
 *   TYPE <mp3|audio|video|application|image|text|any>   OpenNap
 *   LOCAL                           OpenNap: this server only
 *
 * where <cmp> is "AT LEAST", "AT BEST" (or "AT MOST", older OpenNap) or "EQUAL TO". Anything
 * else makes the whole request invalid, as in OpenNap.
 */
import { DecodeError, P2PError } from '@p2pkit/core';
import { clip, FieldReader, parseDecimal } from './fields.js';

/** An inclusive range; an absent bound is open. */
export interface Range {
  min?: number;
  max?: number;
}

/** Content types OpenNap knows (`mp3` is what message 100 shares). */
export const CONTENT_TYPES = ['mp3', 'audio', 'video', 'application', 'image', 'text'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** A parsed search request. */
export interface SearchQuery {
  /** Phrases from FILENAME CONTAINS: every word of every phrase must be in a result's name. */
  contains: string[];
  /** Phrases from FILENAME EXCLUDES: no word of them may be in a result's name. */
  excludes?: string[];
  /** MAX_RESULTS as asked (the server applies its own cap). */
  maxResults?: number;
  /** LINESPEED: the sharer's link type. */
  linkType?: Range;
  /** BITRATE in kbps. */
  bitrate?: Range;
  /** FREQ in Hz. */
  frequency?: Range;
  /** SIZE in bytes. */
  size?: Range;
  /** DURATION in seconds. */
  duration?: Range;
  /** TYPE: one content type, or `any`. Absent means mp3, as OpenNap assumes. */
  type?: ContentType | 'any';
  /** LOCAL: only this server's users (we run one server, so no effect on the results). */
  local?: boolean;
}

/**
 * A search request the server refuses. `reply` is the text OpenNap sends back in a 404 for it
 * (e.g. `invalid search request`).
 */
export class SearchQueryError extends DecodeError {
  readonly reply: string;

  constructor(reply: string, detail = reply) {
    super(detail);
    this.name = 'SearchQueryError';
    this.reply = reply;
  }
}

const RANGES = {
  linespeed: 'linkType',
  bitrate: 'bitrate',
  freq: 'frequency',
  size: 'size',
  duration: 'duration',
} as const;

const INVALID = 'invalid search request';

/** Parses the data of a 200 message. Throws SearchQueryError on anything OpenNap refuses. */
export function parseSearchQuery(text: string): SearchQuery {
  const query: SearchQuery = { contains: [] };
  const reader = new FieldReader(text);
  const next = (what: string): string => {
    if (reader.atEnd()) throw new SearchQueryError(INVALID, `search: missing ${what}`);
    return reader.quoted(what);
  };
  try {
    while (!reader.atEnd()) {
      const keyword = reader.quoted('keyword').toLowerCase();
      if (keyword === 'filename') {
        const op = next('CONTAINS or EXCLUDES').toLowerCase();
        const phrase = next('the words');
        if (op === 'contains') query.contains.push(phrase);
        else if (op === 'excludes') (query.excludes ??= []).push(phrase);
        else throw new SearchQueryError(INVALID, `search: FILENAME ${clip(op)}`);
      } else if (keyword === 'max_results') {
        query.maxResults = number(next('MAX_RESULTS value'), 'MAX_RESULTS');
      } else if (keyword === 'type') {
        const type = next('TYPE value').toLowerCase();
        if (type !== 'any' && !(CONTENT_TYPES as readonly string[]).includes(type)) {
          throw new SearchQueryError(`${type}: invalid type for search`);
        }
        query.type = type as ContentType | 'any';
      } else if (keyword === 'local' || keyword === 'local_only') {
        query.local = true;
      } else if (keyword in RANGES) {
        const field = RANGES[keyword as keyof typeof RANGES];
        let op = next(`${keyword} comparison`).toLowerCase();
        // Tolerate the comparison without its quotes (AT LEAST as two words).
        if (op === 'at' || op === 'equal') op = `${op} ${next('comparison').toLowerCase()}`;
        const value = number(next(`${keyword} value`), keyword.toUpperCase());
        const range: Range = { ...query[field] };
        if (op === 'at least') range.min = value;
        else if (op === 'at best' || op === 'at most') range.max = value;
        else if (op === 'equal to') range.min = range.max = value;
        else throw new SearchQueryError(`${op}: invalid comparison for search`);
        query[field] = range;
      } else {
        throw new SearchQueryError(INVALID, `search: unknown token ${clip(keyword)}`);
      }
    }
  } catch (error) {
    if (error instanceof SearchQueryError) throw error;
    if (error instanceof DecodeError) throw new SearchQueryError(INVALID, error.message);
    throw error;
  }
  return query;
}

function number(word: string, name: string): number {
  try {
    return parseDecimal(word, name, Number.MAX_SAFE_INTEGER);
  } catch {
    throw new SearchQueryError(INVALID, `search: ${name} is not a number: ${clip(word)}`);
  }
}

/**
 * The request text for a query, in the order the Windows client wrote it (FILENAME CONTAINS
 * first). Throws ERR_INVALID_ARGUMENT for a phrase with a double quote, which cannot be sent.
 */
export function formatSearchQuery(query: SearchQuery): string {
  const parts: string[] = [];
  for (const phrase of query.contains) parts.push(`FILENAME CONTAINS ${quote(phrase)}`);
  if (query.maxResults !== undefined) parts.push(`MAX_RESULTS ${integer(query.maxResults)}`);
  for (const phrase of query.excludes ?? []) parts.push(`FILENAME EXCLUDES ${quote(phrase)}`);
  const ranges: [string, Range | undefined, boolean][] = [
    ['LINESPEED', query.linkType, false],
    ['BITRATE', query.bitrate, true],
    ['FREQ', query.frequency, true],
    ['SIZE', query.size, true],
    ['DURATION', query.duration, true],
  ];
  for (const [name, range, quoted] of ranges) {
    if (!range) continue;
    const v = (n: number) => (quoted ? `"${integer(n)}"` : String(integer(n)));
    if (range.min !== undefined && range.min === range.max) {
      parts.push(`${name} "EQUAL TO" ${v(range.min)}`);
      continue;
    }
    if (range.min !== undefined) parts.push(`${name} "AT LEAST" ${v(range.min)}`);
    if (range.max !== undefined) parts.push(`${name} "AT BEST" ${v(range.max)}`);
  }
  if (query.type !== undefined) parts.push(`TYPE ${query.type}`);
  if (query.local) parts.push('LOCAL');
  return parts.join(' ');
}

function quote(phrase: string): string {
  if (phrase.includes('"')) {
    throw new P2PError(
      `a search phrase cannot contain a double quote: ${clip(phrase)}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return `"${phrase}"`;
}

function integer(n: number): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) {
    throw new P2PError(`search bound must be a non-negative integer: ${n}`, 'ERR_INVALID_ARGUMENT');
  }
  return n;
}
