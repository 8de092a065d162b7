// Minimal types for the untyped npm packages the formats/tracker interop tests use.
declare module 'bittorrent-tracker' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS-era API, used in tests only.
  const Client: any;
  export default Client;
}
declare module 'bittorrent-tracker/server' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped API, used in tests only.
  const Server: any;
  export default Server;
}
declare module 'create-torrent' {
  const createTorrent: (
    input: string,
    opts: Record<string, unknown>,
    cb: (err: Error | null, torrent: Uint8Array) => void,
  ) => void;
  export default createTorrent;
}
declare module 'parse-torrent' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped API, used in tests only.
  const parseTorrent: (input: Uint8Array | string) => Promise<any>;
  // biome-ignore lint/suspicious/noExplicitAny: untyped API, used in tests only.
  export function toMagnetURI(parsed: any): string;
  export default parseTorrent;
}
