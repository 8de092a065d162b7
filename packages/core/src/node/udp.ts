import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { NetworkError } from '../errors.js';
import type { Address, BindOptions, DatagramHandler, DatagramSocket } from '../runtime.js';
import { plainBytes, toNetworkError } from './errors.js';
import type { Handles } from './handles.js';

/** Largest UDP payload over IPv4: 65,535 - 20 (IP header) - 8 (UDP header). */
export const MAX_UDP_PAYLOAD = 65_507;

class UdpSocket implements DatagramSocket {
  readonly address: Address;
  readonly #socket: dgram.Socket;
  #closed = false;
  #release: () => void = () => {};

  constructor(socket: dgram.Socket, address: Address) {
    this.#socket = socket;
    this.address = address;
  }

  track(handles: Handles): void {
    this.#release = handles.add(() => this.close());
  }

  send(data: Uint8Array, to: Address): void {
    if (this.#closed) throw new NetworkError('datagram socket is closed', 'ERR_SOCKET_CLOSED');
    if (data.length > MAX_UDP_PAYLOAD) {
      throw new NetworkError(
        `datagram of ${data.length} bytes exceeds ${MAX_UDP_PAYLOAD}`,
        'ERR_DATAGRAM_TOO_LARGE',
      );
    }
    // No callback: a failed send surfaces as an 'error' event, which we ignore (UDP loss is
    // silent), and the hot path allocates no closure.
    try {
      this.#socket.send(data, to.port, to.host);
    } catch (error) {
      // Invalid destinations (port 0, a malformed host) throw synchronously in Node.
      throw toNetworkError(error);
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#release();
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

export async function bindUdp(
  defaultHost: string,
  options: BindOptions,
  onDatagram: DatagramHandler,
  handles: Handles,
): Promise<DatagramSocket> {
  const host = options.host ?? defaultHost;
  const socket = dgram.createSocket({ type: net.isIP(host) === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      socket.close();
      reject(toNetworkError(error));
    };
    socket.once('error', onError);
    socket.bind({ port: options.port ?? 0, address: host, exclusive: true }, () => {
      socket.removeListener('error', onError);
      resolve();
    });
  });
  // ICMP errors and failed sends: datagrams are unreliable by contract, so these are losses.
  socket.on('error', () => {});
  const bound = socket.address();
  const wrapped = new UdpSocket(socket, { host: bound.address, port: bound.port });
  socket.on('message', (message, rinfo) =>
    onDatagram(plainBytes(message), { host: rinfo.address, port: rinfo.port }),
  );
  wrapped.track(handles);
  return wrapped;
}
