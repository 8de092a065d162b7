/**
 * Shares (100, 102, 110), searches (200 → 201… 202) and browse (211 → 212… 213). Search and
 * browse replies are written straight from the index into one buffer, one socket write a reply.
 */

import { copyBytes } from './copy-bytes.js';
import type { SearchPlan } from './index-store.js';
import { type ClientMessageOf, MessageType } from './messages.js';
import { parseSearchQuery, SearchQueryError } from './search-query.js';
import { type ServerState, type User, writeHeader } from './server-state.js';
import { tokenizeText } from './tokens.js';

const encoder = new TextEncoder();
const SEARCH_END = new Uint8Array([0, 0, MessageType.searchEnd & 0xff, MessageType.searchEnd >> 8]);

/** 100: one file more, within the per-user limit (one 404 when the limit is reached). */
export function share(state: ServerState, user: User, m: ClientMessageOf<'share'>): void {
  const { index, settings } = state;
  if (index.countOf(user.id) >= settings.maxShares) {
    if (!user.warnedShares) {
      user.warnedShares = true;
      state.error404(user.session, `You may only share ${settings.maxShares} files`);
    }
    return;
  }
  const result = index.add(user.id, m);
  if (result === 'duplicate') state.error404(user.session, 'duplicate file');
  else if (result === 'too long') state.error404(user.session, 'filename too long');
  else if (result === 'out of range') state.error404(user.session, 'Unable to parse command');
}

/** 102: the data is the file name as shared (OpenNap takes it unquoted; quotes are tolerated). */
export function unshare(state: ServerState, user: User, filename: string): void {
  if (state.index.countOf(user.id) === 0) {
    state.error404(user.session, 'Not sharing any files');
    return;
  }
  const name =
    filename.length >= 2 && filename.startsWith('"') && filename.endsWith('"')
      ? filename.slice(1, -1)
      : filename;
  if (!state.index.remove(user.id, name)) state.error404(user.session, 'Not sharing that file');
}

/** 211: the user's files as 212s, then 213; for a user not online, 210 then 213 (as Napster). */
export function browse(
  state: ServerState,
  user: User,
  nick: string,
  max: number | undefined,
): void {
  const session = user.session;
  const other = state.user(nick);
  if (!other) {
    state.send(session, { kind: 'userSignoff', nick });
    state.send(session, { kind: 'browseEnd', nick });
    return;
  }
  const { index, settings } = state;
  const limit =
    max && max > 0 ? Math.min(max, settings.maxBrowseResults) : settings.maxBrowseResults;
  const head = encoder.encode(`${other.nick} `);
  const slots = index.slotsOf(other.id, limit);
  const replies = state.replies;
  const out = replies.begin(slots.length * (4 + head.length + index.maxFieldsBytes));
  let pos = replies.start;
  for (const slot of slots) {
    const start = pos;
    pos += 4;
    out.set(head, pos);
    pos = index.writeFields(slot, out, pos + head.length);
    writeHeader(out, start, pos - start - 4, MessageType.browseEntry);
  }
  if (slots.length > 0) session.framed.send(replies.end(pos), slots.length);
  state.send(session, { kind: 'browseEnd', nick: other.nick });
}

/**
 * 200: parse, search the index, answer every hit as a 201 and end with one 202, always (a bad
 * request gets OpenNap's 404 text first). Never the searcher's own files.
 */
export function search(state: ServerState, user: User, text: string, slots: Uint32Array): void {
  const session = user.session;
  state.counters.searches++;
  let plan: SearchPlan | undefined;
  let limit = state.settings.maxResults;
  try {
    const query = parseSearchQuery(text);
    const words: string[] = [];
    for (const text of query.contains) tokenizeText(text, words);
    const excludes: string[] = [];
    for (const text of query.excludes ?? []) tokenizeText(text, excludes);
    if (words.length === 0) {
      state.error404(session, 'search failed: request contained no valid words');
    } else if (query.type === undefined || query.type === 'mp3' || query.type === 'any') {
      // Message 100 shares audio/mp3 only (OpenNap's CT_MP3): other types find nothing.
      const speeds = query.linkType;
      plan = {
        words,
        excludes: excludes.length > 0 ? excludes : undefined,
        skipOwner: user.id,
        bitrate: query.bitrate,
        frequency: query.frequency,
        size: query.size,
        duration: query.duration,
        ownerFilter: speeds
          ? (owner) => {
              const s = state.usersById[owner]?.linkType ?? 0;
              return !(
                (speeds.min !== undefined && s < speeds.min) ||
                (speeds.max !== undefined && s > speeds.max)
              );
            }
          : undefined,
      };
      if (query.maxResults !== undefined && query.maxResults > 0) {
        limit = Math.min(limit, query.maxResults);
      }
    }
  } catch (error) {
    if (!(error instanceof SearchQueryError)) throw error;
    state.events.emit('peerError', error, session.address);
    state.error404(session, error.reply);
  }
  const index = state.index;
  const n = plan ? index.search(plan, limit, slots) : 0;
  state.counters.searchResults += n;
  index.warm(slots, n);
  const replies = state.replies;
  const out = replies.begin(n * (4 + index.maxFieldsBytes + state.tailStride) + 4);
  let pos = replies.start;
  const { tailsView, tailLengths, tailStride } = state;
  const view = replies.view;
  for (let i = 0; i < n; i++) {
    const slot = slots[i]!;
    const start = pos;
    pos = index.writeFields(slot, out, pos + 4);
    // The owner's tail, copied from the flat tails array (~20 bytes).
    const owner = index.ownerOf(slot);
    pos = copyBytes(tailsView, owner * tailStride, view, pos, tailLengths[owner]!);
    writeHeader(out, start, pos - start - 4, MessageType.searchResult);
  }
  out.set(SEARCH_END, pos);
  pos += 4;
  session.framed.send(replies.end(pos), n + 1);
}
