/**
 * What a running server knows, shared by its handlers (server-login.ts, server-files.ts,
 * server-downloads.ts): the users and their sessions, registered nicks, hotlists, the file
 * index, counters, and the few ways of answering a client.
 */
import type { Address, Emitter, Runtime, TimerHandle } from '@p2pkit/core';
import { viewOf } from './copy-bytes.js';
import type { FramedConnection } from './framed.js';
import { FileIndex } from './index-store.js';
import { encodeServerMessage, type ServerMessage } from './messages.js';
import { ReplyPool } from './reply-pool.js';

export interface NapsterServerEvents {
  listening: [address: Address];
  login: [nick: string, address: Address];
  logout: [nick: string];
  /** A client broke a rule; the server answered or dropped it, and carries on. */
  peerError: [error: Error, address: Address];
}

/** Server options with their defaults filled in (see NapsterServerOptions). */
export interface ServerSettings {
  port: number;
  host: string | undefined;
  serverName: string | undefined;
  maxResults: number;
  maxCommandLength: number;
  maxShares: number;
  maxBrowseResults: number;
  maxFilenameBytes: number;
  maxNickLength: number;
  motd: readonly string[];
  loginTimeoutMs: number;
  maxQueuedBytes: number;
}

/** A logged-in user. */
export interface User {
  /** Its number in the index (owner of its files); reused after logout. */
  readonly id: number;
  readonly nick: string;
  /** Lower-case nick: nicks are unique without regard to case. */
  readonly key: string;
  readonly password: string;
  readonly clientInfo: string;
  readonly host: string;
  /** Napster's decimal form of `host` (see ipToNapster). */
  readonly ip: number;
  readonly session: Session;
  readonly connectedAt: number;
  /** Data port; 0 when firewalled. */
  port: number;
  linkType: number;
  downloads: number;
  uploads: number;
  warnedShares: boolean;
  /** Nicks (keys) this user watches: 209/210 on their signon/signoff. */
  readonly hotlist: Set<string>;
}

/** One client connection, logged in or not yet. */
export interface Session {
  readonly framed: FramedConnection;
  readonly address: Address;
  user: User | undefined;
  loginTimer: TimerHandle | undefined;
}

/** A nick registered with message 6 (kept for the server's lifetime). */
export interface Account {
  nick: string;
  password: string;
  email: string;
  lastSeen: number;
}

const encoder = new TextEncoder();

export class ServerState {
  readonly index: FileIndex;
  readonly sessions = new Set<Session>();
  /** Logged-in users by lower-case nick. */
  readonly users = new Map<string, User>();
  readonly usersById: (User | undefined)[] = [];
  readonly freeIds: number[] = [];
  readonly accounts = new Map<string, Account>();
  /** Who watches a nick (hotlists), by nick key. */
  readonly watchers = new Map<string, Set<User>>();
  readonly counters = {
    logins: 0,
    searches: 0,
    searchResults: 0,
    downloadRequests: 0,
    dropped: 0,
    closedMessagesIn: 0,
    closedMessagesOut: 0,
    closedBytesIn: 0,
    closedBytesOut: 0,
  };
  /** Where search and browse replies are written (views of it go to the sockets). */
  readonly replies = new ReplyPool();
  /**
   * ` <nick> <ip> <linkType>` of each user id, `tailStride` bytes apart: how every 201 result
   * for that user's files ends, copied from one flat array (no object to reach per result).
   */
  tails = new Uint8Array(0);
  tailsView = viewOf(this.tails);
  /** A space, an ASCII nick, a space, 10 digits, a space, 2 digits. */
  readonly tailStride: number;
  tailLengths = new Uint8Array(0);

  constructor(
    readonly runtime: Runtime,
    readonly settings: ServerSettings,
    readonly events: Emitter<NapsterServerEvents>,
    /** The name in `anon@<name>` acks (the listening host unless set). */
    readonly serverName: () => string,
  ) {
    this.index = new FileIndex({ maxFilenameBytes: settings.maxFilenameBytes });
    this.tailStride = settings.maxNickLength + 16;
  }

  /** The logged-in user of that nick, whatever its case. */
  user(nick: string): User | undefined {
    return this.users.get(nick.toLowerCase());
  }

  send(session: Session, message: ServerMessage): void {
    session.framed.send(encodeServerMessage(message));
  }

  /** A 404: OpenNap's error to a logged-in user; the connection stays. */
  error404(session: Session, text: string): void {
    this.send(session, { kind: 'errorMessage', message: text });
  }

  /** A login-time failure: a type-0 error, then close (OpenNap's `con->destroy = 1`). */
  reject(session: Session, text: string): void {
    this.counters.dropped++;
    this.send(session, { kind: 'error', message: text });
    session.framed.end();
  }

  noSuchUser(session: Session, nick: string): void {
    this.error404(session, `User ${nick} is not currently online.`);
  }

  sendMotd(session: Session): void {
    for (const line of this.settings.motd) this.send(session, { kind: 'motd', text: line });
  }

  sendStats(session: Session): void {
    this.send(session, {
      kind: 'stats',
      users: this.users.size,
      files: this.index.files,
      gigabytes: Math.floor(this.index.librarySize / 2 ** 30),
    });
  }

  /** Forgets a user: its files, its hotlist; tells who watches it. */
  logout(user: User): void {
    if (this.users.get(user.key) !== user) return;
    this.users.delete(user.key);
    this.index.removeOwner(user.id);
    this.usersById[user.id] = undefined;
    this.freeIds.push(user.id);
    for (const key of user.hotlist) this.watchers.get(key)?.delete(user);
    const account = this.accounts.get(user.key);
    if (account) account.lastSeen = this.runtime.clock.now();
    for (const watcher of this.watchers.get(user.key) ?? []) {
      this.send(watcher.session, { kind: 'userSignoff', nick: user.nick });
    }
    this.events.emit('logout', user.nick);
  }

  /** (Re)writes the result tail of `user` (at login, and when its link type changes). */
  setTail(user: User): void {
    const bytes = encoder.encode(` ${user.nick} ${user.ip} ${user.linkType}`);
    const stride = this.tailStride;
    if ((user.id + 1) * stride > this.tails.length) {
      const n = Math.max(64, (user.id + 1) * 2);
      const tails = new Uint8Array(n * stride);
      tails.set(this.tails);
      this.tails = tails;
      this.tailsView = viewOf(tails);
      const lengths = new Uint8Array(n);
      lengths.set(this.tailLengths);
      this.tailLengths = lengths;
    }
    this.tails.set(bytes, user.id * stride);
    this.tailLengths[user.id] = bytes.length;
  }
}

/** The 4-byte header of a frame whose data was written after it. */
export function writeHeader(buf: Uint8Array, at: number, length: number, type: number): void {
  buf[at] = length & 0xff;
  buf[at + 1] = length >>> 8;
  buf[at + 2] = type & 0xff;
  buf[at + 3] = type >>> 8;
}
