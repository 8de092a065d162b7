/**
 * Event kinds, stored in the queue's Uint8Array `kind` (0 and 1 belong to the queue). Each
 * handler documents which slot fields it uses: `a`, `b` (references), `n`, `x`, `y` (numbers).
 */
/** A host's setTimeout. a: callback, b: owning SimHost. */
export const K_TIMEOUT = 2;
/** A host's setInterval. a: callback, b: owning SimHost, n: period. */
export const K_INTERVAL = 3;
/** sim.at()/after(). a: function. */
export const K_CALL = 4;
/** Internal callback owned by a host (dies with it). a: function, b: SimHost. */
export const K_HOST_CALL = 5;
/** Datagram arrival. a: from Address, b: bytes, n: port, x: destination index, y: type id. */
export const K_DATAGRAM = 6;
/** Connection request. a: dialing SimConnection, n: port, x: destination, y: source. */
export const K_SYN = 7;
/** Connection accepted. a: dialing SimConnection, x: destination (the dialer), y: source. */
export const K_SYNACK = 8;
/** Connection refused (RST to a SYN). a: dialing SimConnection, x, y as above. */
export const K_REFUSED = 9;
/** Reset. a: SimConnection that receives it, x: its host index, y: source. */
export const K_RST = 10;
/** Stream segment reaches the receiver's access link. a: Pipe, n: bytes, x: 1 if FIN. */
export const K_SEGMENT = 11;
/** Stream segment leaves the receiver's downlink queue. Fields as K_SEGMENT. */
export const K_DELIVER = 12;
/** A host's uplink finished serializing a segment. a: SimHost. */
export const K_UPLINK = 13;
/** A window-blocked pipe may have credit now. a: Pipe. */
export const K_WAKE = 14;
/** Emit buffered data after resume() or a first 'data' listener. a: SimConnection. */
export const K_FLUSH = 15;
/** Metrics sampler tick (not part of the trace hash). a: TimeSeries. */
export const K_SAMPLE = 16;
/** Emit 'close' on a connection. a: SimConnection, b: error or undefined. */
export const K_CLOSE = 17;
/** Emit 'drain' on a connection if still due. a: SimConnection. */
export const K_DRAIN = 18;
