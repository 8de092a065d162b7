/**
 * An OpenNap-compatible Napster server: logins, the shared-file index, searches, browse, and the
 * brokering of downloads (the files themselves move between the peers, never through here).
 * Behaviour follows OpenNap (handler.c, login.c, search.c, download.c, upload_complete.c,
 * browse.c): the same replies, the same texts in 0 and 404 errors, the same closes.
 */
import {
  type Address,
  type Connection,
  type DecodeError,
  Emitter,
  type Listener,
  type Runtime,
  type TimerHandle,
} from '@p2pkit/core';
import { ipToNapster } from './fields.js';
import { FramedConnection } from './framed.js';
import { FileIndex } from './index-store.js';
import {
  type ClientMessage,
  decodeClientMessage,
  encodeFrame,
  encodeServerMessage,
  MessageType,
  type ServerMessage,
} from './messages.js';
import { parseSearchQuery, SearchQueryError } from './search-query.js';
import { tokenizeText } from './tokens.js';

export interface NapsterServerOptions {
  runtime: Runtime;
  /** TCP port (default 8888; 0 picks a free one). */
  port?: number;
  /** Address to bind (default: the runtime's host). */
  host?: string;
  /** Name used in `anon@<name>` login acks (default: the bound host). */
  serverName?: string;
  /** Most results per search, whatever MAX_RESULTS asks (default 100, as Napster). */
  maxResults?: number;
  /** Largest data part of a message; above it the connection is closed (default 2048, OpenNap's). */
  maxCommandLength?: number;
  /** Most files one user may share (default 5000); further shares get one 404 and are ignored. */
  maxShares?: number;
  /** Most entries a browse returns (default 500). */
  maxBrowseResults?: number;
  /** Longest file name, in UTF-8 bytes (default 256, OpenNap's limit). */
  maxFilenameBytes?: number;
  /** Longest nick (default 32). */
  maxNickLength?: number;
  /** Lines sent as 621 after a login (default: one line naming the server). */
  motd?: readonly string[];
  /** A connection that has not logged in by then is closed (default 60,000 ms). */
  loginTimeoutMs?: number;
  /** Bytes queued for a client that does not read, before it is dropped (default 4 MiB). */
  maxQueuedBytes?: number;
}

/** Counters of a running server. */
export interface NapsterServerStats {
  users: number;
  files: number;
  /** Distinct words in the index. */
  words: number;
  /** Bytes of the index's records and name arena (maps and word lists not included). */
  indexColumnBytes: number;
  connections: number;
  logins: number;
  searches: number;
  searchResults: number;
  downloadRequests: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Connections dropped for breaking the rules (oversize frame, slow reader, bad login). */
  dropped: number;
}

export interface NapsterServerEvents {
  listening: [address: Address];
  login: [nick: string, address: Address];
  logout: [nick: string];
  /** A client broke a rule; the server answered or dropped it, and carries on. */
  peerError: [error: Error, address: Address];
}

/** A logged-in user. */
interface User {
  readonly id: number;
  readonly nick: string;
  readonly key: string;
  readonly password: string;
  readonly clientInfo: string;
  readonly host: string;
  readonly ip: number;
  readonly session: Session;
  readonly connectedAt: number;
  port: number;
  linkType: number;
  downloads: number;
  uploads: number;
  warnedShares: boolean;
  /** Nicks (keys) this user watches: 209/210 on their signon/signoff. */
  readonly hotlist: Set<string>;
  /** ` <nick> <ip> <linkType>`: the tail of each 201 result for this user's files. */
  resultTail: Uint8Array;
}

interface Session {
  readonly framed: FramedConnection;
  readonly address: Address;
  user: User | undefined;
  loginTimer: TimerHandle | undefined;
}

interface Account {
  nick: string;
  password: string;
  email: string;
  lastSeen: number;
}

/** Types OpenNap accepts before a login (handler.c); anything else closes the connection. */
const BEFORE_LOGIN = new Set([0, 2, 4, 6, 7, 11, 300]);
const SEARCH_END = new Uint8Array([0, 0, MessageType.searchEnd & 0xff, MessageType.searchEnd >> 8]);
const encoder = new TextEncoder();

export class NapsterServer extends Emitter<NapsterServerEvents> {
  readonly runtime: Runtime;
  readonly index: FileIndex;
  private readonly options: Required<
    Omit<NapsterServerOptions, 'runtime' | 'host' | 'serverName'>
  > & {
    host: string | undefined;
    serverName: string | undefined;
  };
  private listener: Listener | undefined;
  private readonly sessions = new Set<Session>();
  private readonly users = new Map<string, User>();
  private readonly usersById: (User | undefined)[] = [];
  private readonly freeIds: number[] = [];
  private readonly accounts = new Map<string, Account>();
  /** Who watches a nick (hotlists), by nick key. */
  private readonly watchers = new Map<string, Set<User>>();
  private readonly counters = {
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
  private scratch = new Uint8Array(0);
  private slots = new Uint32Array(0);

  constructor(options: NapsterServerOptions) {
    super();
    this.runtime = options.runtime;
    this.options = {
      port: options.port ?? 8888,
      host: options.host,
      serverName: options.serverName,
      maxResults: options.maxResults ?? 100,
      maxCommandLength: options.maxCommandLength ?? 2048,
      maxShares: options.maxShares ?? 5000,
      maxBrowseResults: options.maxBrowseResults ?? 500,
      maxFilenameBytes: options.maxFilenameBytes ?? 256,
      maxNickLength: options.maxNickLength ?? 32,
      motd: options.motd ?? ['Welcome to a p2pkit Napster server (OpenNap-compatible).'],
      loginTimeoutMs: options.loginTimeoutMs ?? 60_000,
      maxQueuedBytes: options.maxQueuedBytes ?? 4 << 20,
    };
    this.index = new FileIndex({ maxFilenameBytes: this.options.maxFilenameBytes });
    this.slots = new Uint32Array(this.options.maxResults);
  }

  /** The address the server listens on (after start). */
  get address(): Address {
    if (!this.listener) throw new Error('server not started');
    return this.listener.address;
  }

  /** Starts listening. */
  async start(): Promise<Address> {
    if (this.listener) return this.listener.address;
    this.listener = await this.runtime.net.listen(
      { port: this.options.port, host: this.options.host },
      (connection) => this.accept(connection),
    );
    this.emit('listening', this.listener.address);
    return this.listener.address;
  }

  /** Stops listening and closes every connection; resolves once released. */
  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const session of [...this.sessions]) session.framed.destroy();
    if (listener) await listener.close();
  }

  stats(): NapsterServerStats {
    let messagesIn = this.counters.closedMessagesIn;
    let messagesOut = this.counters.closedMessagesOut;
    let bytesIn = this.counters.closedBytesIn;
    let bytesOut = this.counters.closedBytesOut;
    for (const { framed } of this.sessions) {
      messagesIn += framed.messagesIn;
      messagesOut += framed.messagesOut;
      bytesIn += framed.bytesIn;
      bytesOut += framed.bytesOut;
    }
    return {
      users: this.users.size,
      files: this.index.files,
      words: this.index.vocabulary,
      indexColumnBytes: this.index.columnBytes,
      connections: this.sessions.size,
      logins: this.counters.logins,
      searches: this.counters.searches,
      searchResults: this.counters.searchResults,
      downloadRequests: this.counters.downloadRequests,
      messagesIn,
      messagesOut,
      bytesIn,
      bytesOut,
      dropped: this.counters.dropped,
    };
  }

  /** Estimated bytes of the file index (records, names, word lists, maps); walks every word. */
  indexBytes(): number {
    return this.index.approximateBytes();
  }

  /** Nicks logged in now. */
  nicks(): string[] {
    return [...this.users.values()].map((u) => u.nick);
  }

  // ------------------------------------------------------------------ connections

  private accept(connection: Connection): void {
    if (!this.listener) {
      connection.destroy();
      return;
    }
    const address = connection.remoteAddress;
    const session: Session = {
      address,
      user: undefined,
      loginTimer: undefined,
      framed: new FramedConnection(connection, {
        clock: this.runtime.clock,
        maxDataLength: this.options.maxCommandLength,
        maxQueuedBytes: this.options.maxQueuedBytes,
        onMessage: (type, data) => this.dispatch(session, type, data),
        onBadFrame: (type, error) => this.badFrame(session, type, error),
        onClose: (error) => this.closed(session, error),
      }),
    };
    this.sessions.add(session);
    session.loginTimer = this.runtime.clock.setTimeout(() => {
      session.loginTimer = undefined;
      if (!session.user) this.reject(session, 'login timeout');
    }, this.options.loginTimeoutMs);
  }

  private closed(session: Session, error?: Error): void {
    if (!this.sessions.delete(session)) return;
    const { framed } = session;
    this.counters.closedMessagesIn += framed.messagesIn;
    this.counters.closedMessagesOut += framed.messagesOut;
    this.counters.closedBytesIn += framed.bytesIn;
    this.counters.closedBytesOut += framed.bytesOut;
    if (session.loginTimer !== undefined) this.runtime.clock.clearTimeout(session.loginTimer);
    if (error && (error as { code?: string }).code?.startsWith('ERR_') && !isReset(error)) {
      this.counters.dropped++;
      this.emit('peerError', error, session.address);
    }
    if (session.user) this.logout(session.user);
  }

  private logout(user: User): void {
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
    this.emit('logout', user.nick);
  }

  private send(session: Session, message: ServerMessage): void {
    session.framed.send(encodeServerMessage(message));
  }

  private error404(session: Session, text: string): void {
    this.send(session, { kind: 'errorMessage', message: text });
  }

  /** Login-time failure: a type-0 error, then close (OpenNap's `con->destroy = 1`). */
  private reject(session: Session, text: string): void {
    this.counters.dropped++;
    this.send(session, { kind: 'error', message: text });
    session.framed.end();
  }

  private badFrame(session: Session, type: number, error: DecodeError): void {
    this.emit('peerError', error, session.address);
    if (!session.user) this.reject(session, 'invalid command');
    else this.error404(session, `message ${type} dropped: data is not valid UTF-8`);
  }

  // ------------------------------------------------------------------ dispatch

  private dispatch(session: Session, type: number, data: string): void {
    const user = session.user;
    if (!user && !BEFORE_LOGIN.has(type)) {
      this.reject(session, 'invalid command');
      return;
    }
    let message: ClientMessage | { kind: 'unknown'; type: number; data: string };
    try {
      message = decodeClientMessage(type, data);
    } catch (error) {
      this.emit('peerError', error as Error, session.address);
      if (type === MessageType.login || type === MessageType.loginRegister) {
        if (!user) this.reject(session, 'Too few parameters for command');
        else this.error404(session, 'you are already logged in');
      } else if (!user) this.reject(session, 'invalid command');
      else this.error404(session, 'Unable to parse command');
      return;
    }
    if (message.kind === 'login' || message.kind === 'loginRegister') {
      this.login(session, message);
      return;
    }
    if (message.kind === 'registerNick') {
      if (user) this.error404(session, 'You are already logged in.');
      else this.registerNick(session, message.nick);
      return;
    }
    if (!user) {
      // 0, 4, 11, 300 before login: accepted and ignored (4 gets its empty echo, as OpenNap).
      if (type === 4) session.framed.send(encodeFrame(4, ''));
      return;
    }
    this.handle(user, message);
  }

  private handle(
    user: User,
    message: ClientMessage | { kind: 'unknown'; type: number; data: string },
  ) {
    const session = user.session;
    switch (message.kind) {
      case 'share':
        return this.share(user, message);
      case 'unshare':
        return this.unshare(user, message.filename);
      case 'unshareAll':
        this.index.removeOwner(user.id);
        return;
      case 'search':
        return this.search(user, message.query);
      case 'download':
      case 'firewallDownload':
        return this.download(user, message.kind, message.nick, message.filename);
      case 'uploadAccept':
        return this.uploadAccept(user, message.nick, message.filename);
      case 'browse':
        return this.browse(user, message.nick, message.max);
      case 'stats':
        return this.sendStats(session);
      case 'privateMessage': {
        const to = this.users.get(message.nick.toLowerCase());
        if (!to) return this.noSuchUser(session, message.nick);
        return this.send(to.session, {
          kind: 'privateMessage',
          nick: user.nick,
          text: message.text,
        });
      }
      case 'hotlistAdd':
      case 'hotlist':
        return this.watch(user, message.nick);
      case 'hotlistRemove': {
        const key = message.nick.toLowerCase();
        user.hotlist.delete(key);
        this.watchers.get(key)?.delete(user);
        return;
      }
      case 'downloadStart':
        user.downloads++;
        return;
      case 'downloadEnd':
        user.downloads = Math.max(0, user.downloads - 1);
        return;
      case 'uploadStart':
        user.uploads++;
        return;
      case 'uploadEnd':
        user.uploads = Math.max(0, user.uploads - 1);
        return;
      case 'linkSpeed': {
        const other = this.users.get(message.nick.toLowerCase());
        if (!other) return this.noSuchUser(session, message.nick);
        return this.send(session, {
          kind: 'linkSpeedReply',
          nick: other.nick,
          linkType: other.linkType,
        });
      }
      case 'whois':
        return this.whois(user, message.nick);
      case 'motd':
        return this.sendMotd(session);
      case 'dataPortError': {
        const other = this.users.get(message.nick.toLowerCase());
        if (!other) return this.noSuchUser(session, message.nick);
        return this.send(other.session, { kind: 'dataPortError', nick: user.nick });
      }
      case 'changeSpeed':
        if (message.linkType > 10)
          return this.error404(session, `${message.linkType} is an invalid speed`);
        user.linkType = message.linkType;
        user.resultTail = resultTail(user);
        return;
      case 'changeDataPort':
        user.port = message.port;
        return;
      case 'serverPing':
        return this.send(session, { kind: 'serverPing', text: message.text });
      case 'ping':
      case 'pong': {
        const other = this.users.get(message.nick.toLowerCase());
        if (!other) return this.error404(session, `ping failed, ${message.nick} is not online`);
        return this.send(other.session, {
          kind: message.kind,
          nick: user.nick,
          text: message.text,
        });
      }
      case 'queueLimit': {
        const other = this.users.get(message.nick.toLowerCase());
        if (!other) return this.noSuchUser(session, message.nick);
        const slot = this.index.slotOf(user.id, message.filename);
        if (slot < 0) return this.error404(session, 'Not sharing that file');
        return this.send(other.session, {
          kind: 'queueLimitNotice',
          nick: user.nick,
          filename: message.filename,
          size: this.index.file(slot).size,
          limit: message.limit,
        });
      }
      case 'checkPort':
      case 'versionCheck':
        return;
      case 'login':
      case 'loginRegister':
      case 'registerNick':
        return; // handled in dispatch
      case 'unknown':
        // OpenNap answers every unknown numeric this way (handler.c dispatch_command).
        return this.error404(session, `Unknown command code ${message.type}`);
    }
  }

  // ------------------------------------------------------------------ login

  private login(session: Session, m: Extract<ClientMessage, { kind: 'login' | 'loginRegister' }>) {
    if (session.user) return this.error404(session, 'you are already logged in');
    if (m.linkType > 10) return this.reject(session, `${m.linkType} is an invalid speed`);
    if (!this.validNick(m.nick)) {
      this.counters.dropped++;
      this.send(session, { kind: 'nickInvalid' });
      session.framed.end();
      return;
    }
    const key = m.nick.toLowerCase();
    const account = this.accounts.get(key);
    if (m.kind === 'loginRegister' && account)
      return this.reject(session, `${m.nick} is already registered.`);
    if (account && account.password !== m.password) return this.reject(session, 'Invalid Password');
    const existing = this.users.get(key);
    if (existing) {
      // OpenNap's ghost kill: the same nick from the same address, with its password, replaces
      // the old session (748 to it); anyone else is refused.
      if (existing.host !== session.address.host || existing.password !== m.password) {
        return this.reject(session, `${m.nick} is already active`);
      }
      this.send(existing.session, { kind: 'ghost' });
      existing.session.framed.end();
      this.logout(existing);
    }
    if (m.kind === 'loginRegister') {
      this.accounts.set(key, { nick: m.nick, password: m.password, email: m.email, lastSeen: 0 });
    }
    const id = this.freeIds.pop() ?? this.usersById.length;
    const user: User = {
      id,
      nick: m.nick,
      key,
      password: m.password,
      clientInfo: m.clientInfo,
      host: session.address.host,
      ip: ipToNapster(session.address.host),
      session,
      connectedAt: this.runtime.clock.now(),
      port: m.port,
      linkType: m.linkType,
      downloads: 0,
      uploads: 0,
      warnedShares: false,
      hotlist: new Set(),
      resultTail: new Uint8Array(0),
    };
    user.resultTail = resultTail(user);
    this.usersById[id] = user;
    this.users.set(key, user);
    session.user = user;
    if (session.loginTimer !== undefined) {
      this.runtime.clock.clearTimeout(session.loginTimer);
      session.loginTimer = undefined;
    }
    this.counters.logins++;
    const email = this.accounts.get(key)?.email ?? `anon@${this.serverName}`;
    this.send(session, { kind: 'loginAck', email });
    this.sendMotd(session);
    this.sendStats(session);
    for (const watcher of this.watchers.get(key) ?? []) {
      this.send(watcher.session, { kind: 'userSignon', nick: user.nick, linkType: user.linkType });
    }
    this.emit('login', user.nick, session.address);
  }

  private get serverName(): string {
    return this.options.serverName ?? this.listener?.address.host ?? this.runtime.host;
  }

  private registerNick(session: Session, nick: string) {
    if (!this.validNick(nick)) return this.send(session, { kind: 'nickInvalid' });
    const key = nick.toLowerCase();
    if (this.accounts.has(key) || this.users.has(key)) this.send(session, { kind: 'nickTaken' });
    else this.send(session, { kind: 'nickOk' });
  }

  /** OpenNap's rule: printable ASCII, no space and no colon, 1..maxNickLength characters. */
  private validNick(nick: string): boolean {
    if (nick.length === 0 || nick.length > this.options.maxNickLength) return false;
    for (let i = 0; i < nick.length; i++) {
      const c = nick.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f || c === 0x3a || c === 0x22) return false;
    }
    return true;
  }

  private sendMotd(session: Session): void {
    for (const line of this.options.motd) this.send(session, { kind: 'motd', text: line });
  }

  private sendStats(session: Session): void {
    this.send(session, {
      kind: 'stats',
      users: this.users.size,
      files: this.index.files,
      gigabytes: Math.floor(this.index.librarySize / 2 ** 30),
    });
  }

  private noSuchUser(session: Session, nick: string): void {
    this.error404(session, `User ${nick} is not currently online.`);
  }

  private watch(user: User, nick: string): void {
    const key = nick.toLowerCase();
    user.hotlist.add(key);
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(user);
    this.send(user.session, { kind: 'hotlistAck', nick });
    const other = this.users.get(key);
    if (other)
      this.send(user.session, { kind: 'userSignon', nick: other.nick, linkType: other.linkType });
  }

  // ------------------------------------------------------------------ files

  private share(user: User, m: Extract<ClientMessage, { kind: 'share' }>): void {
    if (this.index.countOf(user.id) >= this.options.maxShares) {
      if (!user.warnedShares) {
        user.warnedShares = true;
        this.error404(user.session, `You may only share ${this.options.maxShares} files`);
      }
      return;
    }
    const result = this.index.add(user.id, m);
    if (result === 'duplicate') this.error404(user.session, 'duplicate file');
    else if (result === 'too long') this.error404(user.session, 'filename too long');
    else if (result === 'out of range') this.error404(user.session, 'Unable to parse command');
  }

  private unshare(user: User, filename: string) {
    if (this.index.countOf(user.id) === 0)
      return this.error404(user.session, 'Not sharing any files');
    const name =
      filename.length >= 2 && filename.startsWith('"') && filename.endsWith('"')
        ? filename.slice(1, -1)
        : filename;
    if (!this.index.remove(user.id, name)) this.error404(user.session, 'Not sharing that file');
  }

  private browse(user: User, nick: string, max: number | undefined): void {
    const session = user.session;
    const other = this.users.get(nick.toLowerCase());
    if (!other) {
      // "the napster servers send a 210 instead of 404 for this case" (OpenNap browse.c).
      this.send(session, { kind: 'userSignoff', nick });
      this.send(session, { kind: 'browseEnd', nick });
      return;
    }
    const limit =
      max && max > 0 ? Math.min(max, this.options.maxBrowseResults) : this.options.maxBrowseResults;
    const head = encoder.encode(`${other.nick} `);
    const slots = this.index.slotsOf(other.id, limit);
    const out = this.reserve(slots.length * (4 + head.length + this.index.maxFieldsBytes) + 64);
    let pos = 0;
    for (const slot of slots) {
      const start = pos;
      pos += 4;
      out.set(head, pos);
      pos = this.index.writeFields(slot, out, pos + head.length);
      writeHeader(out, start, pos - start - 4, MessageType.browseEntry);
    }
    if (pos > 0) session.framed.send(out.slice(0, pos), slots.length);
    this.send(session, { kind: 'browseEnd', nick: other.nick });
  }

  private search(user: User, text: string): void {
    const session = user.session;
    this.counters.searches++;
    let words: string[] = [];
    let excludes: string[] = [];
    let plan: Parameters<FileIndex['search']>[0] | undefined;
    let limit = this.options.maxResults;
    try {
      const query = parseSearchQuery(text);
      words = unique(query.contains.flatMap(tokenizeText));
      excludes = unique((query.excludes ?? []).flatMap(tokenizeText));
      if (words.length === 0) {
        this.error404(session, 'search failed: request contained no valid words');
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
                const s = this.usersById[owner]?.linkType ?? 0;
                return !(
                  (speeds.min !== undefined && s < speeds.min) ||
                  (speeds.max !== undefined && s > speeds.max)
                );
              }
            : undefined,
        };
        if (query.maxResults !== undefined && query.maxResults > 0)
          limit = Math.min(limit, query.maxResults);
      }
    } catch (error) {
      if (!(error instanceof SearchQueryError)) throw error;
      this.emit('peerError', error, session.address);
      this.error404(session, error.reply);
    }
    const n = plan ? this.index.search(plan, limit, this.slots) : 0;
    this.counters.searchResults += n;
    const index = this.index;
    const out = this.reserve(n * (4 + index.maxFieldsBytes + 64) + 4);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const slot = this.slots[i]!;
      const owner = this.usersById[index.ownerOf(slot)]!;
      const start = pos;
      pos = index.writeFields(slot, out, pos + 4);
      out.set(owner.resultTail, pos);
      pos += owner.resultTail.length;
      writeHeader(out, start, pos - start - 4, MessageType.searchResult);
    }
    out.set(SEARCH_END, pos);
    pos += 4;
    session.framed.send(out.slice(0, pos), n + 1);
  }

  /** A scratch buffer of at least `n` bytes (reused between messages). */
  private reserve(n: number): Uint8Array {
    if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, 64 * 1024));
    return this.scratch;
  }

  // ------------------------------------------------------------------ downloads

  /** 203 and 500 (OpenNap download.c). */
  private download(
    user: User,
    kind: 'download' | 'firewallDownload',
    nick: string,
    filename: string,
  ) {
    this.counters.downloadRequests++;
    const session = user.session;
    const uploader = this.users.get(nick.toLowerCase());
    const slot = uploader ? this.index.slotOf(uploader.id, filename) : -1;
    if (!uploader || slot < 0) {
      this.send(session, { kind: 'getError', nick, filename });
      return;
    }
    if (kind === 'download') {
      if (uploader.port === 0) {
        // Firewalled uploader: the downloader gets port 0 now and must ask again with 500.
        this.send(session, {
          kind: 'downloadAck',
          nick: uploader.nick,
          ip: uploader.ip,
          port: 0,
          filename,
          md5: this.index.file(slot).md5,
          linkType: uploader.linkType,
        });
        return;
      }
    } else {
      if (uploader.port !== 0) return this.error404(session, `${uploader.nick} is not firewalled`);
      if (user.port === 0) {
        // Both firewalled: nobody can connect to anybody.
        this.send(session, {
          kind: 'downloadAck',
          nick: uploader.nick,
          ip: uploader.ip,
          port: uploader.port,
          filename,
          md5: 'firewallerror',
          linkType: uploader.linkType,
        });
        return;
      }
    }
    this.send(uploader.session, { kind: 'uploadRequest', nick: user.nick, filename });
  }

  /** 608 (OpenNap upload_complete.c): 204 to the downloader, or 501 to a firewalled uploader. */
  private uploadAccept(user: User, nick: string, filename: string) {
    const downloader = this.users.get(nick.toLowerCase());
    if (!downloader) return this.noSuchUser(user.session, nick);
    const slot = this.index.slotOf(user.id, filename);
    if (slot < 0) return this.error404(user.session, 'Not sharing that file');
    const md5 = this.index.file(slot).md5;
    if (user.port === 0) {
      this.send(user.session, {
        kind: 'firewallUpload',
        nick: downloader.nick,
        ip: downloader.ip,
        port: downloader.port,
        filename,
        md5,
        linkType: downloader.linkType,
      });
    } else {
      this.send(downloader.session, {
        kind: 'downloadAck',
        nick: user.nick,
        ip: user.ip,
        port: user.port,
        filename,
        md5,
        linkType: user.linkType,
      });
    }
  }

  private whois(user: User, nick: string): void {
    const other = this.users.get(nick.toLowerCase());
    if (!other) {
      const account = this.accounts.get(nick.toLowerCase());
      if (account) {
        this.send(user.session, {
          kind: 'whowas',
          nick: account.nick,
          level: 'User',
          lastSeen: Math.floor(account.lastSeen / 1000),
        });
      } else this.error404(user.session, `user ${nick} is not a known user`);
      return;
    }
    this.send(user.session, {
      kind: 'whoisReply',
      nick: other.nick,
      level: 'User',
      seconds: Math.floor((this.runtime.clock.now() - other.connectedAt) / 1000),
      channels: '',
      status: 'Active',
      shared: this.index.countOf(other.id),
      downloads: other.downloads,
      uploads: other.uploads,
      linkType: other.linkType,
      clientInfo: other.clientInfo,
    });
  }
}

/** Creates a server (call start()). */
export function createNapsterServer(options: NapsterServerOptions): NapsterServer {
  return new NapsterServer(options);
}

function resultTail(user: User): Uint8Array {
  return encoder.encode(` ${user.nick} ${user.ip} ${user.linkType}`);
}

function writeHeader(buf: Uint8Array, at: number, length: number, type: number): void {
  buf[at] = length & 0xff;
  buf[at + 1] = length >>> 8;
  buf[at + 2] = type & 0xff;
  buf[at + 3] = type >>> 8;
}

function unique(words: string[]): string[] {
  return [...new Set(words)];
}

function isReset(error: Error): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ERR_CONNECTION_RESET' || code === 'ERR_SOCKET_CLOSED';
}
