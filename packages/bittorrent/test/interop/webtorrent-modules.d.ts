// Minimal types for npm `webtorrent` 2.8 (untyped), as the webtorrent interop tests use it.
declare module 'webtorrent' {
  import type { EventEmitter } from 'node:events';

  export interface WebTorrentOptions {
    /** 40 hex characters. */
    peerId?: string;
    /** A port, or (used by the tests) `net.Server#listen` options: `{ port, host }`. */
    torrentPort?: number | { port: number; host: string };
    dht?: boolean;
    lsd?: boolean;
    utp?: boolean;
    utPex?: boolean;
    webSeeds?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    secure?: boolean;
    /** false: no trackers; an object: bittorrent-tracker client options. */
    tracker?: false | { getAnnounceOpts?: () => Record<string, unknown> };
  }

  export interface TorrentOptions {
    path?: string;
    announce?: string[];
    name?: string;
    pieceLength?: number;
  }

  export interface Wire extends EventEmitter {
    remoteAddress: string;
    remotePort: number;
    peerId: string;
    type: string;
  }

  export interface Torrent extends EventEmitter {
    readonly infoHash: string;
    readonly magnetURI: string;
    readonly torrentFile: Uint8Array;
    readonly name: string;
    readonly path: string;
    readonly done: boolean;
    readonly ready: boolean;
    readonly progress: number;
    readonly downloaded: number;
    readonly uploaded: number;
    readonly numPeers: number;
    readonly wires: Wire[];
    readonly files: { path: string; length: number }[];
    addPeer(peer: string): boolean;
    destroy(callback?: (error?: Error) => void): void;
  }

  export default class WebTorrent extends EventEmitter {
    static readonly VERSION: string;
    constructor(options?: WebTorrentOptions);
    readonly peerId: string;
    readonly listening: boolean;
    readonly torrents: Torrent[];
    address(): { address: string; family: string; port: number } | null;
    add(
      torrentId: string | Uint8Array,
      options?: TorrentOptions,
      onTorrent?: (torrent: Torrent) => void,
    ): Torrent;
    seed(
      input: string | string[],
      options?: TorrentOptions,
      onSeed?: (torrent: Torrent) => void,
    ): Torrent;
    destroy(callback?: (error?: Error) => void): void;
  }
}
