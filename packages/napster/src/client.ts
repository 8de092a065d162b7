/**
 * A Napster client: logs in, shares a library, searches, browses, and downloads straight from
 * the peer that has the file (drscholl §4), resuming at an offset, through the firewalled push
 * path (500/501) when the uploader cannot be reached. It also serves its own library: GET
 * requests on its data port, and pushes (SEND) when it is the firewalled one.
 */
import {
  AbortError,
  type Address,
  type Connection,
  Emitter,
  type Listener,
  P2PError,
  ProtocolError,
  type Runtime,
  type SharedFolder,
  TimeoutError,
  throwIfAborted,
} from '@p2pkit/core';
import { napsterToIp } from './fields.js';
import { FramedConnection } from './framed.js';
import {
  type ClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  type ServerMessage,
  type ServerMessageOf,
} from './messages.js';
import { isSafeName } from './names.js';
import { formatSearchQuery, type SearchQuery } from './search-query.js';
import {
  acceptSend,
  type FileSource,
  getFile,
  PeerStream,
  readPeerRequest,
  refuse,
  resolveTimeouts,
  sendFile,
  serveGet,
  type TransferTimeouts,
} from './transfer.js';

/** A file a client shares: what message 100 announces. */
export interface SharedFileInfo {
  /** Relative name, `/` between directories (see isSafeName). */
  filename: string;
  size: number;
  /** 32 hex digits; OpenNap without resume support sends 32 zeros (the default). */
  md5?: string;
  /** kbps, Hz, seconds: 0 when unknown (the default). */
  bitrate?: number;
  frequency?: number;
  duration?: number;
}

/**
 * What a client shares and serves: the parts of core's SharedFolder it uses (a folder on disk
 * from `openSharedFolder`, `createMemoryFolder` in the simulator, or anything alike).
 */
export type ShareSource = Pick<SharedFolder, 'list' | 'stat' | 'read'>;

export interface NapsterClientOptions {
  runtime: Runtime;
  /** The server (or what a metaserver pointed to). */
  server: Address;
  nick: string;
  /** Default `p2pkit`. Registered nicks need theirs. */
  password?: string;
  /** When set, log in as a new user (message 6) registering this e-mail address. */
  email?: string;
  /** Link type 0-10 (default 0, unknown). */
  linkType?: number;
  /** Default `p2pkit`. */
  clientInfo?: string;
  /** Behind a firewall: no data port (0 is announced) and uploads are pushed (default false). */
  firewalled?: boolean;
  /** Data port to listen on (default 6699; 0 picks a free one). Ignored when firewalled. */
  dataPort?: number;
  /** What to share and serve (default: nothing). Its names are what peers ask for. */
  folder?: ShareSource;
  /** Most uploads at once (default 8); more are refused. */
  maxUploads?: number;
  /** Login, search, browse and download-ack deadline (default 30 s). */
  requestTimeoutMs?: number;
  transferTimeouts?: TransferTimeouts;
}

/** One search result (message 201). */
export interface SearchResult {
  nick: string;
  filename: string;
  md5: string;
  size: number;
  bitrate: number;
  frequency: number;
  duration: number;
  /** The sharer's IP, dotted. */
  ip: string;
  linkType: number;
}

/** One file of a browsed user (message 212). */
export type BrowseEntry = Omit<SearchResult, 'ip' | 'linkType'>;

export interface DownloadOptions {
  /** Bytes already held: the transfer asks for the rest (resume). Default 0. */
  offset?: number;
  /** Receives the bytes in order; awaited, so a slow disk slows the peer down. */
  onData(chunk: Uint8Array): Promise<void> | void;
  /** Called as bytes arrive with the total received so far (offset included). */
  onProgress?: (received: number, size: number) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  nick: string;
  filename: string;
  size: number;
  offset: number;
  /** How the bytes came: we connected (`direct`), or the firewalled uploader did (`push`). */
  mode: 'direct' | 'push';
}

export interface NapsterClientEvents {
  /** A 404 or 0 text from the server. */
  notice: [text: string];
  /** The server connection is gone (`ghost`: someone logged in with our nick). */
  disconnected: [reason: string];
  upload: [
    event: {
      nick: string;
      filename: string;
      offset: number;
      bytes: number;
      mode: 'direct' | 'push';
    },
  ];
  uploadError: [error: Error, nick: string];
}

/** The server refused or could not broker a download (206, 404, firewall error). */
export class DownloadUnavailableError extends P2PError {
  constructor(message: string) {
    super(message, 'ERR_UNAVAILABLE');
    this.name = 'DownloadUnavailableError';
  }
}

const ZERO_MD5 = '00000000000000000000000000000000';

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

interface PendingSearch extends Waiter<SearchResult[]> {
  results: SearchResult[];
}

interface PendingBrowse extends Waiter<BrowseEntry[]> {
  nick: string;
  entries: BrowseEntry[];
  offline: boolean;
}

type Ack = ServerMessageOf<'downloadAck'> | ServerMessageOf<'getError'>;

export class NapsterClient extends Emitter<NapsterClientEvents> {
  readonly runtime: Runtime;
  readonly nick: string;
  private readonly options: NapsterClientOptions;
  private readonly timeouts: Required<TransferTimeouts>;
  private framed: FramedConnection | undefined;
  private dataListener: Listener | undefined;
  private readonly searches: PendingSearch[] = [];
  private readonly browses: PendingBrowse[] = [];
  private readonly acks = new Map<string, Waiter<Ack>[]>();
  private readonly pushes = new Map<string, Waiter<{ stream: PeerStream; size: number }>>();
  private readonly peers = new Set<Connection>();
  private readonly controller = new AbortController();
  private login: Waiter<string> | undefined;
  private activeUploads = 0;
  private stopped = false;

  constructor(options: NapsterClientOptions) {
    super();
    this.runtime = options.runtime;
    this.nick = options.nick;
    this.options = options;
    this.timeouts = resolveTimeouts(options.transferTimeouts);
  }

  /** The data port announced at login (0 when firewalled). */
  get dataPort(): number {
    return this.dataListener?.address.port ?? 0;
  }

  get connected(): boolean {
    return this.framed?.isOpen ?? false;
  }

  /** Opens the data port (unless firewalled), connects and logs in. Resolves with the server's e-mail ack. */
  async connect(signal?: AbortSignal): Promise<string> {
    if (this.framed) throw new P2PError('already connected', 'ERR_INVALID_STATE');
    const o = this.options;
    const login = (port: number) =>
      ({
        kind: o.email ? 'loginRegister' : 'login',
        nick: this.nick,
        password: o.password ?? 'p2pkit',
        port,
        clientInfo: o.clientInfo ?? 'p2pkit',
        linkType: o.linkType ?? 0,
        ...(o.email ? { email: o.email } : {}),
      }) as ClientMessage;
    // A field that cannot go on the wire (a nick with a space, …) fails here, before any socket
    // is opened or any request waits.
    encodeClientMessage(login(0));
    if (!o.firewalled) {
      this.dataListener = await this.runtime.net.listen({ port: o.dataPort ?? 6699 }, (c) =>
        this.onPeer(c),
      );
    }
    const connection = await this.runtime.net.dial(o.server, { signal, timeoutMs: this.requestMs });
    this.framed = new FramedConnection(connection, {
      clock: this.runtime.clock,
      maxDataLength: 0xffff,
      onMessage: (type, data) => this.onMessage(type, data),
      onBadFrame: () => this.emit('notice', 'the server sent a message that is not UTF-8'),
      onClose: (error) => this.onServerClose(error),
    });
    const acked = new Promise<string>((resolve, reject) => {
      this.login = { resolve, reject };
    });
    this.sendMessage(login(this.dataPort));
    return this.withDeadline(acked, 'the login ack', signal);
  }

  /**
   * Announces files (default: the whole library), one 100 message each, written in batches;
   * resolves with how many were sent. Names that are not safe (isSafeName) are skipped.
   */
  async share(files?: readonly SharedFileInfo[]): Promise<number> {
    const list: readonly SharedFileInfo[] =
      files ??
      (await this.options.folder?.list())?.map((f) => ({ filename: f.name, size: f.size })) ??
      [];
    const framed = this.framed;
    if (!framed?.isOpen) throw new P2PError('not connected to the server', 'ERR_NOT_CONNECTED');
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    const flush = () => {
      if (batch.length === 0) return;
      const out = new Uint8Array(batchBytes);
      let at = 0;
      for (const frame of batch) {
        out.set(frame, at);
        at += frame.length;
      }
      framed.send(out, batch.length);
      batch = [];
      batchBytes = 0;
    };
    let sent = 0;
    for (const f of list) {
      if (!isSafeName(f.filename)) continue;
      const frame = encodeClientMessage({
        kind: 'share',
        filename: f.filename,
        md5: f.md5 ?? ZERO_MD5,
        size: f.size,
        bitrate: f.bitrate ?? 0,
        frequency: f.frequency ?? 0,
        duration: f.duration ?? 0,
      });
      batch.push(frame);
      batchBytes += frame.length;
      if (batchBytes >= 64 * 1024) flush();
      sent++;
    }
    flush();
    return sent;
  }

  unshare(filename: string): void {
    this.sendMessage({ kind: 'unshare', filename });
  }

  /** Searches; resolves with the results once the server ends the list (202). */
  search(query: string | SearchQuery, signal?: AbortSignal): Promise<SearchResult[]> {
    const text =
      typeof query === 'string'
        ? formatSearchQuery({ contains: [query] })
        : formatSearchQuery(query);
    const done = new Promise<SearchResult[]>((resolve, reject) => {
      this.searches.push({ resolve, reject, results: [] });
    });
    this.sendMessage({ kind: 'search', query: text });
    return this.withDeadline(done, 'the end of the search results', signal);
  }

  /** Lists a user's files (211 → 212… 213); rejects when the user is not online. */
  browse(nick: string, signal?: AbortSignal): Promise<BrowseEntry[]> {
    const done = new Promise<BrowseEntry[]>((resolve, reject) => {
      this.browses.push({ resolve, reject, nick: nick.toLowerCase(), entries: [], offline: false });
    });
    this.sendMessage({ kind: 'browse', nick });
    return this.withDeadline(done, `the files of ${nick}`, signal);
  }

  /**
   * Downloads `filename` from `nick`, from `options.offset`: 203, then the peer connection (or,
   * for a firewalled uploader, 500 and its push). `size` is the file's size as the search or
   * browse gave it: the transfer is cut if the peer announces or sends anything else.
   */
  async download(
    target: { nick: string; filename: string; size: number },
    options: DownloadOptions,
  ): Promise<DownloadResult> {
    const { nick, filename, size } = target;
    const offset = options.offset ?? 0;
    const signal = options.signal;
    if (!(Number.isSafeInteger(offset) && offset >= 0 && offset <= size)) {
      throw new P2PError(
        `offset ${offset} outside the file (${size} bytes)`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    const key = ackKey(nick, filename);
    const ack = await this.requestAck(key, { kind: 'download', nick, filename }, signal);
    let mode: DownloadResult['mode'] = 'direct';
    let stream: PeerStream;
    if (ack.port === 0 && ack.md5 !== 'firewallerror') {
      // The uploader is firewalled: ask it (500) to connect to us and push the file.
      if (this.options.firewalled)
        throw new DownloadUnavailableError(`${nick} and we are both firewalled`);
      mode = 'push';
      const pushed = this.expectPush(key);
      const refused = this.requestAck(key, { kind: 'firewallDownload', nick, filename }, signal);
      let first:
        | { p: { stream: PeerStream; size: number } }
        | { a: ServerMessageOf<'downloadAck'> };
      try {
        first = await Promise.race([pushed.then((p) => ({ p })), refused.then((a) => ({ a }))]);
      } catch (error) {
        this.pushes.get(key)?.reject(error as Error);
        throw error;
      } finally {
        // Whichever lost the race will not be answered: stop waiting for it.
        refused.catch(() => {});
        pushed.catch(() => {});
        this.cancelAcks(key);
      }
      if ('a' in first) {
        this.pushes.get(key)?.reject(new AbortError('no push'));
        throw new DownloadUnavailableError(
          first.a.md5 === 'firewallerror'
            ? `${nick} and we are both firewalled`
            : `${nick} did not push ${filename}`,
        );
      }
      stream = first.p.stream;
      if (first.p.size !== size) {
        stream.connection.destroy();
        throw new ProtocolError(`${nick} announced ${first.p.size} bytes for a file of ${size}`);
      }
    } else if (ack.md5 === 'firewallerror') {
      throw new DownloadUnavailableError(`${nick} and we are both firewalled`);
    } else {
      const connection = await this.runtime.net.dial(
        { host: napsterToIp(ack.ip), port: ack.port },
        { signal, timeoutMs: this.requestMs },
      );
      stream = this.track(new PeerStream(connection, this.runtime.clock));
    }
    let received = offset;
    const onData = async (chunk: Uint8Array) => {
      await options.onData(chunk);
      received += chunk.length;
      options.onProgress?.(received, size);
    };
    this.sendMessage({ kind: 'downloadStart' });
    try {
      const linked = this.linkSignal(signal);
      if (mode === 'direct') {
        await getFile(
          stream,
          { nick: this.nick, filename, offset, size },
          onData,
          this.timeouts,
          linked,
        );
      } else {
        await acceptSend(stream, size, offset, onData, this.timeouts, linked);
      }
      stream.connection.end();
    } catch (error) {
      stream.connection.destroy();
      throw error;
    } finally {
      this.sendMessage({ kind: 'downloadEnd' });
    }
    return { nick, filename, size, offset, mode };
  }

  /** Logs out and releases every socket and timer. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.controller.abort();
    const gone = new P2PError('client stopped', 'ERR_STOPPED');
    this.failAll(gone);
    this.framed?.destroy();
    for (const c of this.peers) c.destroy();
    this.peers.clear();
    const listener = this.dataListener;
    this.dataListener = undefined;
    if (listener) await listener.close();
  }

  // ------------------------------------------------------------------ server messages

  private get requestMs(): number {
    return this.options.requestTimeoutMs ?? 30_000;
  }

  private sendMessage(message: ClientMessage): void {
    if (!this.framed?.isOpen)
      throw new P2PError('not connected to the server', 'ERR_NOT_CONNECTED');
    this.framed.send(encodeClientMessage(message));
  }

  private onMessage(type: number, data: string): void {
    let message: ServerMessage | { kind: 'unknown' };
    try {
      message = decodeServerMessage(type, data);
    } catch {
      this.emit('notice', `unparsable message ${type} from the server`);
      return;
    }
    switch (message.kind) {
      case 'loginAck':
        this.login?.resolve(message.email);
        this.login = undefined;
        return;
      case 'error':
        this.emit('notice', message.message);
        this.login?.reject(new P2PError(`login refused: ${message.message}`, 'ERR_LOGIN'));
        this.login = undefined;
        return;
      case 'nickInvalid':
        this.login?.reject(new P2PError(`login refused: invalid nick ${this.nick}`, 'ERR_LOGIN'));
        this.login = undefined;
        return;
      case 'errorMessage':
        this.emit('notice', message.message);
        return;
      case 'searchResult':
        this.searches[0]?.results.push({
          nick: message.nick,
          filename: message.filename,
          md5: message.md5,
          size: message.size,
          bitrate: message.bitrate,
          frequency: message.frequency,
          duration: message.duration,
          ip: napsterToIp(message.ip),
          linkType: message.linkType,
        });
        return;
      case 'searchEnd': {
        const search = this.searches.shift();
        search?.resolve(search.results);
        return;
      }
      case 'browseEntry': {
        const browse = this.browses.find((b) => b.nick === message.nick.toLowerCase());
        const { kind: _, ...entry } = message;
        browse?.entries.push(entry);
        return;
      }
      case 'userSignoff': {
        const browse = this.browses.find((b) => b.nick === message.nick.toLowerCase());
        if (browse) browse.offline = true;
        return;
      }
      case 'browseEnd': {
        const i = this.browses.findIndex((b) => b.nick === message.nick.toLowerCase());
        if (i < 0) return;
        const [browse] = this.browses.splice(i, 1);
        if (browse!.offline)
          browse!.reject(new DownloadUnavailableError(`${message.nick} is not online`));
        else browse!.resolve(browse!.entries);
        return;
      }
      case 'downloadAck':
      case 'getError': {
        const waiters = this.acks.get(ackKey(message.nick, message.filename));
        const waiter = waiters?.shift();
        if (waiters?.length === 0) this.acks.delete(ackKey(message.nick, message.filename));
        waiter?.resolve(message);
        return;
      }
      case 'uploadRequest':
        void this.onUploadRequest(message.nick, message.filename);
        return;
      case 'firewallUpload':
        void this.push(message);
        return;
      case 'ping':
        this.sendMessage({ kind: 'pong', nick: message.nick, text: message.text });
        return;
      case 'ghost':
        this.emit('disconnected', 'ghost');
        return;
      default:
        return;
    }
  }

  private onServerClose(error?: Error): void {
    const reason = error ? error.message : 'server closed the connection';
    this.failAll(new P2PError(`disconnected from the server: ${reason}`, 'ERR_DISCONNECTED'));
    if (!this.stopped) this.emit('disconnected', reason);
  }

  private failAll(error: Error): void {
    this.login?.reject(error);
    this.login = undefined;
    for (const s of this.searches.splice(0)) s.reject(error);
    for (const b of this.browses.splice(0)) b.reject(error);
    for (const list of this.acks.values()) for (const w of list) w.reject(error);
    this.acks.clear();
    for (const w of this.pushes.values()) w.reject(error);
    this.pushes.clear();
  }

  /** Sends a 203 or 500 and waits for its 204 or 206. */
  private async requestAck(
    key: string,
    message: ClientMessage,
    signal?: AbortSignal,
  ): Promise<ServerMessageOf<'downloadAck'>> {
    const ack = new Promise<Ack>((resolve, reject) => {
      let list = this.acks.get(key);
      if (!list) this.acks.set(key, (list = []));
      list.push({ resolve, reject });
    });
    this.sendMessage(message);
    const answer = await this.withDeadline(ack, 'the download ack', signal);
    if (answer.kind === 'getError') {
      throw new DownloadUnavailableError(
        `${answer.nick} is not online or does not share ${answer.filename}`,
      );
    }
    return answer;
  }

  /** Stops waiting for acks of `key` (their promises reject with AbortError). */
  private cancelAcks(key: string): void {
    const waiters = this.acks.get(key);
    this.acks.delete(key);
    for (const w of waiters ?? []) w.reject(new AbortError('no longer waiting for this ack'));
  }

  private expectPush(key: string): Promise<{ stream: PeerStream; size: number }> {
    return this.withDeadline(
      new Promise<{ stream: PeerStream; size: number }>((resolve, reject) =>
        this.pushes.set(key, { resolve, reject }),
      ),
      'the uploader to connect (push)',
    ).finally(() => this.pushes.delete(key));
  }

  /** Rejects with TimeoutError after requestTimeoutMs, AbortError on abort or stop. */
  private withDeadline<T>(promise: Promise<T>, what: string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const clock = this.runtime.clock;
      const timer = clock.setTimeout(
        () => finish(new TimeoutError(`timed out waiting for ${what}`)),
        this.requestMs,
      );
      const onAbort = () => finish(new AbortError(`aborted while waiting for ${what}`));
      const finish = (error?: Error, value?: T) => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value as T);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => finish(undefined, value),
        (error) => finish(error),
      );
    });
  }

  /** A signal that aborts on `signal` or when the client stops. */
  private linkSignal(signal?: AbortSignal): AbortSignal {
    return signal ? AbortSignal.any([signal, this.controller.signal]) : this.controller.signal;
  }

  // ------------------------------------------------------------------ uploads

  /** A shared file by the name a peer asked for; undefined when unsafe or not there. */
  private async openShared(filename: string): Promise<FileSource | undefined> {
    const folder = this.options.folder;
    if (!folder || !isSafeName(filename)) return undefined;
    const file = await folder.stat(filename).catch(() => undefined);
    if (!file) return undefined;
    return { size: file.size, stream: (start, signal) => folder.read(filename, { start, signal }) };
  }

  /** 607: accept (608) when we share the file; the peer's GET, or the server's 501, follows. */
  private async onUploadRequest(nick: string, filename: string): Promise<void> {
    const source = await this.openShared(filename).catch(() => undefined);
    if (!source || !this.framed?.isOpen) return;
    this.sendMessage({ kind: 'uploadAccept', nick, filename });
  }

  private track(stream: PeerStream): PeerStream {
    this.peers.add(stream.connection);
    stream.connection.on('close', () => this.peers.delete(stream.connection));
    return stream;
  }

  /** A connection on our data port: a downloader's GET, or an uploader pushing to us (SEND). */
  private async onPeer(connection: Connection): Promise<void> {
    if (this.stopped) return connection.destroy();
    const stream = this.track(new PeerStream(connection, this.runtime.clock));
    try {
      const request = await readPeerRequest(stream, this.timeouts, this.controller.signal);
      if (request.kind === 'SEND') {
        const waiter = this.pushes.get(ackKey(request.nick, request.filename));
        if (!waiter) return this.refuse(connection, 'INVALID REQUEST');
        this.pushes.delete(ackKey(request.nick, request.filename));
        waiter.resolve({ stream, size: request.number });
        return;
      }
      const source = await this.openShared(request.filename);
      if (!source) return this.refuse(connection, 'FILE NOT SHARED');
      if (request.number > source.size) return this.refuse(connection, 'INVALID REQUEST');
      if (this.activeUploads >= (this.options.maxUploads ?? 8)) {
        return this.refuse(connection, 'UPLOAD LIMIT REACHED');
      }
      await this.upload(
        request.nick,
        request.filename,
        'direct',
        source.size,
        connection,
        async () => {
          await serveGet(
            connection,
            this.runtime.clock,
            source,
            request.number,
            this.timeouts,
            this.controller.signal,
          );
          return request.number;
        },
      );
    } catch (error) {
      connection.destroy();
      this.emit('uploadError', error as Error, connection.remoteAddress.host);
    }
  }

  /** Answers a request with an error text and closes; a peer that keeps its side open is cut. */
  private refuse(connection: Connection, text: string): void {
    refuse(connection, text);
    const timer = this.runtime.clock.setTimeout(() => connection.destroy(), this.timeouts.stepMs);
    connection.on('close', () => this.runtime.clock.clearTimeout(timer));
  }

  /** 501: we are firewalled; connect to the downloader and push. */
  private async push(m: ServerMessageOf<'firewallUpload'>): Promise<void> {
    const source = await this.openShared(m.filename).catch(() => undefined);
    if (!source) return;
    let connection: Connection | undefined;
    try {
      throwIfAborted(this.controller.signal);
      connection = await this.runtime.net.dial(
        { host: napsterToIp(m.ip), port: m.port },
        { signal: this.controller.signal, timeoutMs: this.requestMs },
      );
      const stream = this.track(new PeerStream(connection, this.runtime.clock));
      await this.upload(m.nick, m.filename, 'push', source.size, connection, () =>
        sendFile(
          stream,
          { nick: this.nick, filename: m.filename, source },
          this.timeouts,
          this.controller.signal,
        ),
      );
    } catch (error) {
      connection?.destroy();
      this.emit('uploadError', error as Error, m.nick);
    }
  }

  /** Runs one upload between 220 and 221; `run` resolves with the offset it started from. */
  private async upload(
    nick: string,
    filename: string,
    mode: 'direct' | 'push',
    size: number,
    connection: Connection,
    run: () => Promise<number>,
  ): Promise<void> {
    this.activeUploads++;
    if (this.framed?.isOpen) this.sendMessage({ kind: 'uploadStart' });
    try {
      const offset = await run();
      connection.end();
      this.emit('upload', { nick, filename, offset, bytes: size - offset, mode });
    } finally {
      this.activeUploads--;
      if (this.framed?.isOpen) this.sendMessage({ kind: 'uploadEnd' });
    }
  }
}

export function createNapsterClient(options: NapsterClientOptions): NapsterClient {
  return new NapsterClient(options);
}

function ackKey(nick: string, filename: string): string {
  return `${nick.toLowerCase()}\0${filename}`;
}
