/**
 * An OpenNap-compatible Napster server: logins, the shared-file index, searches, browse, and the
 * brokering of downloads (the files themselves move between the peers, never through here).
 * Behaviour follows OpenNap (handler.c, login.c, search.c, download.c, upload_complete.c,
 * browse.c): the same replies, the same texts in 0 and 404 errors, the same closes.
 *
 * This file is the server's face and its dispatch; the handlers live beside it
 * (server-login.ts, server-files.ts, server-downloads.ts) and share a ServerState.
 */
import {
  type Address,
  type Connection,
  type DecodeError,
  Emitter,
  type Listener,
  type Runtime,
} from '@p2pkit/core';
import { FramedConnection } from './framed.js';
import type { FileIndex } from './index-store.js';
import {
  type ClientMessage,
  decodeClientMessage,
  encodeFrame,
  MessageType,
  type UnknownMessage,
} from './messages.js';
import { download, uploadAccept } from './server-downloads.js';
import { browse, search, share, unshare } from './server-files.js';
import { login, registerNick } from './server-login.js';
import {
  type NapsterServerEvents,
  type ServerSettings,
  ServerState,
  type Session,
  type User,
} from './server-state.js';

export type { NapsterServerEvents } from './server-state.js';

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

/** Types OpenNap accepts before a login (handler.c); anything else closes the connection. */
const BEFORE_LOGIN = new Set([0, 2, 4, 6, 7, 11, 300]);

export class NapsterServer extends Emitter<NapsterServerEvents> {
  readonly runtime: Runtime;
  private readonly state: ServerState;
  private listener: Listener | undefined;
  /** Where a search's hits go (one array, reused). */
  private readonly slots: Uint32Array;

  constructor(options: NapsterServerOptions) {
    super();
    this.runtime = options.runtime;
    const settings: ServerSettings = {
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
    this.state = new ServerState(
      this.runtime,
      settings,
      this,
      () => settings.serverName ?? this.listener?.address.host ?? this.runtime.host,
    );
    this.slots = new Uint32Array(settings.maxResults);
  }

  /** The file index (what every user shares now). */
  get index(): FileIndex {
    return this.state.index;
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
      { port: this.state.settings.port, host: this.state.settings.host },
      (connection) => this.accept(connection),
    );
    this.emit('listening', this.listener.address);
    return this.listener.address;
  }

  /** Stops listening and closes every connection; resolves once released. */
  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const session of [...this.state.sessions]) session.framed.destroy();
    if (listener) await listener.close();
  }

  stats(): NapsterServerStats {
    const { counters, sessions, users, index } = this.state;
    let messagesIn = counters.closedMessagesIn;
    let messagesOut = counters.closedMessagesOut;
    let bytesIn = counters.closedBytesIn;
    let bytesOut = counters.closedBytesOut;
    for (const { framed } of sessions) {
      messagesIn += framed.messagesIn;
      messagesOut += framed.messagesOut;
      bytesIn += framed.bytesIn;
      bytesOut += framed.bytesOut;
    }
    return {
      users: users.size,
      files: index.files,
      words: index.vocabulary,
      indexColumnBytes: index.columnBytes,
      connections: sessions.size,
      logins: counters.logins,
      searches: counters.searches,
      searchResults: counters.searchResults,
      downloadRequests: counters.downloadRequests,
      messagesIn,
      messagesOut,
      bytesIn,
      bytesOut,
      dropped: counters.dropped,
    };
  }

  /** Estimated bytes of the file index (records, names, word lists, maps); walks every word. */
  indexBytes(): number {
    return this.state.index.approximateBytes();
  }

  /** Nicks logged in now. */
  nicks(): string[] {
    return [...this.state.users.values()].map((u) => u.nick);
  }

  // ------------------------------------------------------------------ connections

  private accept(connection: Connection): void {
    if (!this.listener) {
      connection.destroy();
      return;
    }
    const { settings, sessions } = this.state;
    const session: Session = {
      address: connection.remoteAddress,
      user: undefined,
      loginTimer: undefined,
      framed: new FramedConnection(connection, {
        clock: this.runtime.clock,
        maxDataLength: settings.maxCommandLength,
        maxQueuedBytes: settings.maxQueuedBytes,
        onMessage: (type, data) => this.dispatch(session, type, data),
        onBadFrame: (type, error) => this.badFrame(session, type, error),
        onClose: (error) => this.closed(session, error),
      }),
    };
    sessions.add(session);
    session.loginTimer = this.runtime.clock.setTimeout(() => {
      session.loginTimer = undefined;
      if (!session.user) this.state.reject(session, 'login timeout');
    }, settings.loginTimeoutMs);
  }

  private closed(session: Session, error?: Error): void {
    const state = this.state;
    if (!state.sessions.delete(session)) return;
    const { framed } = session;
    state.counters.closedMessagesIn += framed.messagesIn;
    state.counters.closedMessagesOut += framed.messagesOut;
    state.counters.closedBytesIn += framed.bytesIn;
    state.counters.closedBytesOut += framed.bytesOut;
    this.runtime.clock.clearTimeout(session.loginTimer);
    if (error && (error as { code?: string }).code?.startsWith('ERR_') && !isReset(error)) {
      state.counters.dropped++;
      this.emit('peerError', error, session.address);
    }
    if (session.user) state.logout(session.user);
  }

  private badFrame(session: Session, type: number, error: DecodeError): void {
    this.emit('peerError', error, session.address);
    if (!session.user) this.state.reject(session, 'invalid command');
    else this.state.error404(session, `message ${type} dropped: data is not valid UTF-8`);
  }

  // ------------------------------------------------------------------ dispatch

  private dispatch(session: Session, type: number, data: string): void {
    const state = this.state;
    const user = session.user;
    if (!user && !BEFORE_LOGIN.has(type)) {
      state.reject(session, 'invalid command');
      return;
    }
    let message: ClientMessage | UnknownMessage;
    try {
      message = decodeClientMessage(type, data);
    } catch (error) {
      this.emit('peerError', error as Error, session.address);
      if (type === MessageType.login || type === MessageType.loginRegister) {
        if (!user) state.reject(session, 'Too few parameters for command');
        else state.error404(session, 'you are already logged in');
      } else if (!user) state.reject(session, 'invalid command');
      else state.error404(session, 'Unable to parse command');
      return;
    }
    if (message.kind === 'login' || message.kind === 'loginRegister') {
      login(state, session, message);
    } else if (message.kind === 'registerNick') {
      if (user) state.error404(session, 'You are already logged in.');
      else registerNick(state, session, message.nick);
    } else if (!user) {
      // 0, 4, 11, 300 before login: accepted and ignored (4 gets its empty echo, as OpenNap).
      if (type === 4) session.framed.send(encodeFrame(4, ''));
    } else {
      this.handle(user, message);
    }
  }

  private handle(user: User, message: ClientMessage | UnknownMessage): void {
    const state = this.state;
    const session = user.session;
    switch (message.kind) {
      case 'share':
        share(state, user, message);
        break;
      case 'unshare':
        unshare(state, user, message.filename);
        break;
      case 'unshareAll':
        state.index.removeOwner(user.id);
        break;
      case 'search':
        search(state, user, message.query, this.slots);
        break;
      case 'download':
      case 'firewallDownload':
        download(state, user, message.kind, message.nick, message.filename);
        break;
      case 'uploadAccept':
        uploadAccept(state, user, message.nick, message.filename);
        break;
      case 'browse':
        browse(state, user, message.nick, message.max);
        break;
      case 'stats':
        state.sendStats(session);
        break;
      case 'motd':
        state.sendMotd(session);
        break;
      case 'whois':
        this.whois(user, message.nick);
        break;
      case 'hotlistAdd':
      case 'hotlist':
        this.watch(user, message.nick);
        break;
      case 'hotlistRemove': {
        const key = message.nick.toLowerCase();
        user.hotlist.delete(key);
        state.watchers.get(key)?.delete(user);
        break;
      }
      case 'downloadStart':
        user.downloads++;
        break;
      case 'downloadEnd':
        user.downloads = Math.max(0, user.downloads - 1);
        break;
      case 'uploadStart':
        user.uploads++;
        break;
      case 'uploadEnd':
        user.uploads = Math.max(0, user.uploads - 1);
        break;
      case 'changeSpeed':
        if (message.linkType > 10) {
          state.error404(session, `${message.linkType} is an invalid speed`);
        } else {
          user.linkType = message.linkType;
          this.state.setTail(user);
        }
        break;
      case 'changeDataPort':
        user.port = message.port;
        break;
      case 'serverPing':
        state.send(session, { kind: 'serverPing', text: message.text });
        break;
      case 'privateMessage':
      case 'linkSpeed':
      case 'dataPortError':
      case 'ping':
      case 'pong':
      case 'queueLimit':
        this.relay(user, message);
        break;
      case 'checkPort':
      case 'versionCheck':
      case 'login':
      case 'loginRegister':
      case 'registerNick':
        break; // ignored, or handled in dispatch
      case 'unknown':
        // OpenNap answers every unknown numeric this way (handler.c dispatch_command).
        state.error404(session, `Unknown command code ${message.type}`);
        break;
    }
  }

  /** Messages about another user: passed on to it (or answered about it), if it is online. */
  private relay(
    user: User,
    message: Extract<
      ClientMessage,
      { kind: 'privateMessage' | 'linkSpeed' | 'dataPortError' | 'ping' | 'pong' | 'queueLimit' }
    >,
  ): void {
    const state = this.state;
    const session = user.session;
    const other = state.user(message.nick);
    if (!other) {
      if (message.kind === 'ping' || message.kind === 'pong') {
        state.error404(session, `ping failed, ${message.nick} is not online`);
      } else state.noSuchUser(session, message.nick);
      return;
    }
    switch (message.kind) {
      case 'privateMessage':
        state.send(other.session, { kind: 'privateMessage', nick: user.nick, text: message.text });
        break;
      case 'linkSpeed':
        state.send(session, { kind: 'linkSpeedReply', nick: other.nick, linkType: other.linkType });
        break;
      case 'dataPortError':
        state.send(other.session, { kind: 'dataPortError', nick: user.nick });
        break;
      case 'ping':
      case 'pong':
        // OpenNap relays `<sender> [args]` to the target (ping.c).
        state.send(other.session, { kind: message.kind, nick: user.nick, text: message.text });
        break;
      case 'queueLimit': {
        const slot = state.index.slotOf(user.id, message.filename);
        if (slot < 0) {
          state.error404(session, 'Not sharing that file');
          break;
        }
        state.send(other.session, {
          kind: 'queueLimitNotice',
          nick: user.nick,
          filename: message.filename,
          size: state.index.file(slot).size,
          limit: message.limit,
        });
        break;
      }
    }
  }

  /** 207/208: 301, then 209/210 as the user comes and goes (and 209 now if it is online). */
  private watch(user: User, nick: string): void {
    const state = this.state;
    const key = nick.toLowerCase();
    user.hotlist.add(key);
    let set = state.watchers.get(key);
    if (!set) state.watchers.set(key, (set = new Set()));
    set.add(user);
    state.send(user.session, { kind: 'hotlistAck', nick });
    const other = state.users.get(key);
    if (other) {
      state.send(user.session, { kind: 'userSignon', nick: other.nick, linkType: other.linkType });
    }
  }

  /** 603: 604 for a user online, 605 for a registered nick that is not, else a 404. */
  private whois(user: User, nick: string): void {
    const state = this.state;
    const other = state.user(nick);
    if (!other) {
      const account = state.accounts.get(nick.toLowerCase());
      if (account) {
        state.send(user.session, {
          kind: 'whowas',
          nick: account.nick,
          level: 'User',
          lastSeen: Math.floor(account.lastSeen / 1000),
        });
      } else state.error404(user.session, `user ${nick} is not a known user`);
      return;
    }
    state.send(user.session, {
      kind: 'whoisReply',
      nick: other.nick,
      level: 'User',
      seconds: Math.floor((this.runtime.clock.now() - other.connectedAt) / 1000),
      channels: '',
      status: 'Active',
      shared: state.index.countOf(other.id),
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

function isReset(error: Error): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ERR_CONNECTION_RESET' || code === 'ERR_SOCKET_CLOSED';
}
